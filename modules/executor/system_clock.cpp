// SystemClock: steady_clock time, interruptible sleeps, and one lazily started timer thread
// that turns deadlines into stop requests (see builtins.cppm).
module;
#include "recourse/mutex.h"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>

module recourse.executor;

namespace recourse {

struct SystemClock::Timers {
  detail::Mutex mutex;
  std::condition_variable_any wake;  // the timer thread: new earliest timer, or stop
  detail::TimerQueue queue RECOURSE_GUARDED_BY(mutex);
  // When the timer thread looks at the queue next by itself (max: only when woken). A timer
  // due no earlier needs no wake-up: a deadline armed and cancelled within a call — the common
  // case, every attempt with a timeout — costs the queue and never the thread.
  TimePoint looks_at RECOURSE_GUARDED_BY(mutex) = TimePoint::max();
  std::jthread thread;

  void run(std::stop_token stop) RECOURSE_EXCLUDES(mutex) {
    detail::UniqueLock lock(mutex);
    while (!stop.stop_requested()) {
      const std::optional<TimePoint> due = queue.earliest();
      if (!due) {
        looks_at = TimePoint::max();
        // The predicates run with the lock held, which the analysis cannot see through the wait.
        wake.wait(lock.native(), stop, [&]() RECOURSE_NO_THREAD_SAFETY_ANALYSIS { return !queue.empty(); });
      } else if (std::chrono::steady_clock::now() < *due) {
        looks_at = *due;
        wake.wait_until(lock.native(), stop, *due,
                        [&]() RECOURSE_NO_THREAD_SAFETY_ANALYSIS { return queue.empty() || *queue.earliest() < *due; });
      } else {
        queue.fire_earliest(lock);
      }
    }
  }
};

SystemClock::SystemClock() : timers_(std::make_unique<Timers>()) {}

SystemClock::~SystemClock() {
  if (timers_->thread.joinable()) {
    timers_->thread.request_stop();
    timers_->thread.join();
  }
}

TimePoint SystemClock::now() const noexcept { return std::chrono::steady_clock::now(); }

WallTime SystemClock::wall_now() const noexcept { return std::chrono::system_clock::now(); }

bool SystemClock::sleep_until(TimePoint until, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any never_notified;
  std::unique_lock lock(mutex);
  never_notified.wait_until(lock, stop, until, [] { return false; });
  return !stop.stop_requested();
}

TimerId SystemClock::schedule(TimePoint when, std::function<void()> fire) {
  detail::MutexLock lock(timers_->mutex);
  if (!timers_->thread.joinable())
    timers_->thread = std::jthread([t = timers_.get()](std::stop_token stop) { t->run(stop); });
  const TimerId id = timers_->queue.add(when, std::move(fire));
  if (when < timers_->looks_at) {
    timers_->looks_at = when;  // told once: later timers before the thread runs need not be
    timers_->wake.notify_all();
  }
  return id;
}

void SystemClock::cancel(TimerId id) noexcept {
  detail::UniqueLock lock(timers_->mutex);
  timers_->queue.cancel(id, lock);
}

}  // namespace recourse
