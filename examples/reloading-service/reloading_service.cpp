// reloading_service: keeps calling a flaky dependency under the policy in CONFIG, and reloads
// that policy while it runs — when the file changes (Runtime::watch: inotify, debounced) and
// on SIGHUP (Runtime::reload) — printing every reload's result and every call's attempts, so
// a new `retry.max_attempts` shows in the next call. A bad edit is refused with its errors and
// the last good policy keeps running. SIGTERM or SIGINT ends it.
//
//   reloading_service CONFIG [INTERVAL_MS]
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

import recourse.runtime;

namespace {

std::mutex output;  // the calling loop, the watch's thread and the signal thread all print

void print_reload(const char* trigger, const recourse::ReloadResult& result) {
  const std::lock_guard lock(output);
  if (result.accepted) {
    std::printf("reload (%s): accepted, generation %llu\n", trigger,
                static_cast<unsigned long long>(result.generation));
    for (const std::string& change : result.changes) std::printf("  %s\n", change.c_str());
    for (const std::string& key : result.breakers_reset) std::printf("  breaker reset: %s\n", key.c_str());
  } else {
    std::printf("reload (%s): refused, still generation %llu\n", trigger,
                static_cast<unsigned long long>(result.generation));
    for (const recourse::ConfigError& error : result.errors) std::printf("  %s\n", recourse::to_string(error).c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs("usage: reloading_service CONFIG [INTERVAL_MS]\n", stderr);
    return 2;
  }
  const auto interval = std::chrono::milliseconds(argc > 2 ? std::atoi(argv[2]) : 500);

  // Signals go to one thread that waits for them: blocked here, before any thread starts, so
  // every thread (the runtime's too) inherits the mask and none is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto runtime = recourse::Runtime::load(argv[1]);
  if (!runtime) {
    std::fputs(runtime.error().message().c_str(), stderr);
    return 2;
  }
  auto watch = runtime->watch({.debounce = std::chrono::milliseconds(100),
                               .on_result = [](const recourse::ReloadResult& r) { print_reload("file changed", r); }});
  if (!watch) std::fprintf(stderr, "not watching %s: %s\n", argv[1], watch.error().c_str());

  std::atomic<bool> running{true};
  std::thread signal_thread([&] {
    for (;;) {
      int received = 0;
      if (sigwait(&signals, &received) != 0) continue;
      if (received == SIGHUP) {
        print_reload("SIGHUP", runtime->reload());
        continue;
      }
      running = false;
      return;
    }
  });
  {
    const std::lock_guard lock(output);
    std::printf("running generation %llu from %s\n", static_cast<unsigned long long>(runtime->generation()), argv[1]);
    std::fflush(stdout);
  }

  // The dependency is down: every attempt fails, so a call makes as many attempts as the
  // running policy allows.
  for (unsigned call = 1; running; ++call) {
    int attempts = 0;
    const auto result = runtime->executor().try_run("inventory.Get", [&](const recourse::Attempt&) {
      ++attempts;
      return std::error_code(ECONNREFUSED, std::generic_category());
    });
    {
      const std::lock_guard lock(output);
      std::printf("call %u: generation %llu, %d attempt(s), %s\n", call,
                  static_cast<unsigned long long>(runtime->generation()), attempts,
                  result ? "success" : std::string(result.error().reason).c_str());
      std::fflush(stdout);
    }
    std::this_thread::sleep_for(interval);
  }
  signal_thread.join();
  std::puts("stopped");
  return 0;
}
