// recourse.host.simulate:cpu_pinning (internal) — the CPUs this process may run on, and pinning
// the calling thread to one of them.
//
// Why a simulator pins: a variant's run is one sequence of events handed from thread to thread
// through its virtual clock (only one of its clients runs at a time). A hand-off to a thread
// that last ran on the other core is a cross-core wake-up (an IPI, the other core leaving
// idle), several times the cost of a switch on the same core; a variant whose threads share
// one core runs about twice as fast (docs/performance.md, "The simulator"). Variants are
// independent, so they run side by side, each on a core of its own.
module;
#include <pthread.h>
#include <sched.h>

#include <vector>

export module recourse.host.simulate:cpu_pinning;

namespace recourse::host::simulate {

// The CPUs in this process's affinity mask (taskset, cgroups' cpusets), in order; empty when
// the mask cannot be read.
export std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

// Pins the calling thread to `cpu`. Threads it starts afterwards (a variant's clients, its
// executor's hedge threads) inherit the mask. A refusal leaves the thread where it was: the
// run is slower, never different.
export void pin_calling_thread(int cpu) noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  (void)::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
}

}  // namespace recourse::host::simulate
