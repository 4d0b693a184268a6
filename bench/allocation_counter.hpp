// Heap allocations per benchmark iteration, counted by a replaced global operator new
// (allocation_counter.cpp, linked into the benchmark program), not sampled: Google
// Benchmark's own memory manager looks at a handful of iterations only.
//
//   void BM_Something(benchmark::State& state) {
//     ...setup...
//     const AllocationCount count(state);   // from here to the end of the loop
//     for (auto _ : state) ...;
//   }                                        // reports counters["allocs_per_iter"]
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

namespace recourse::bench {

// Allocations (operator new, any form) made by the calling thread since it started.
std::uint64_t allocations_on_this_thread() noexcept;

class AllocationCount {
 public:
  explicit AllocationCount(benchmark::State& state) noexcept : state_(state), start_(allocations_on_this_thread()) {}
  ~AllocationCount() {
    state_.counters["allocs_per_iter"] = benchmark::Counter(static_cast<double>(allocations_on_this_thread() - start_),
                                                            benchmark::Counter::kAvgIterations);
  }
  AllocationCount(const AllocationCount&) = delete;
  AllocationCount& operator=(const AllocationCount&) = delete;

 private:
  benchmark::State& state_;
  const std::uint64_t start_;
};

}  // namespace recourse::bench
