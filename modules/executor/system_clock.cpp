// SystemClock: steady_clock time, interruptible sleeps, and one lazily started timer thread
// that turns deadlines into stop requests (see builtins.cppm).
module;
#include "recourse/mutex.h"

#include <algorithm>
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

import :timer_lanes;

namespace recourse {

struct SystemClock::Timers {
  detail::Mutex mutex;
  std::condition_variable_any wake;  // the timer thread: an earlier timer, or stop
  detail::TimerQueue queue RECOURSE_GUARDED_BY(mutex);
  // Timers armed without the lock, in the arming thread's lane; the queue takes the rest (a
  // thread with all its lane's slots armed, threads past max_lanes).
  detail::TimerLanes lanes;
  // When the timer thread looks at the queue next by itself (max: only when woken; min: it is
  // awake). A timer due no earlier needs no wake-up: a deadline armed and cancelled within a
  // call — the common case, every attempt with a timeout — costs the thread nothing.
  TimePoint looks_at RECOURSE_GUARDED_BY(mutex) = TimePoint::max();
  bool look_again RECOURSE_GUARDED_BY(mutex) = false;  // a lane timer is due before looks_at
  std::jthread thread;

  void start_thread() RECOURSE_REQUIRES(mutex) {
    if (!thread.joinable()) thread = std::jthread([this](std::stop_token stop) { run(stop); });
  }

  // An arm said its lane timer is due before the thread's next look.
  void look_again_now() RECOURSE_REQUIRES(mutex) {
    start_thread();
    look_again = true;
    wake.notify_all();
  }

  void run(std::stop_token stop) RECOURSE_EXCLUDES(mutex) {
    detail::UniqueLock lock(mutex);
    while (!stop.stop_requested()) {
      looks_at = TimePoint::min();
      lanes.looking();
      look_again = false;
      const TimePoint now = std::chrono::steady_clock::now();
      if (const auto due = queue.earliest(); due && *due <= now) {
        queue.fire_earliest(lock);
        continue;
      }
      lock.unlock();  // lane callbacks run without the lock, as the queue's do
      const std::optional<TimePoint> lane_due = lanes.fire_due(now);
      lock.lock();
      TimePoint next = std::min(queue.earliest().value_or(TimePoint::max()), lane_due.value_or(TimePoint::max()));
      // Saying when it looks next, then looking once more: a lane timer armed meanwhile is
      // either seen here or told (its arm sees the new looks_at and asks for look_again).
      while (true) {
        const std::optional<TimePoint> raced = lanes.will_look_at(next);
        if (!raced || *raced >= next) break;
        next = *raced;
      }
      if (next <= std::chrono::steady_clock::now()) continue;
      looks_at = next;
      // The predicates run with the lock held, which the analysis cannot see through the wait.
      const auto earlier = [&]() RECOURSE_NO_THREAD_SAFETY_ANALYSIS {
        return look_again || (!queue.empty() && *queue.earliest() < next);
      };
      if (next == TimePoint::max()) wake.wait(lock.native(), stop, earlier);
      else wake.wait_until(lock.native(), stop, next, earlier);
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
  Timers& t = *timers_;
  bool wake = false;
  if (const TimerId id = t.lanes.arm(when, fire, wake)) {
    if (wake) {
      detail::MutexLock lock(t.mutex);
      t.look_again_now();
    }
    return id;
  }
  detail::MutexLock lock(t.mutex);
  t.start_thread();
  // The thread's first timer on this clock: it takes a lane, and the timer goes there.
  if (!t.lanes.has_lane() && t.lanes.assign_lane()) {
    if (const TimerId id = t.lanes.arm(when, fire, wake)) {
      if (wake) t.look_again_now();
      return id;
    }
  }
  const TimerId id = t.queue.add(when, std::move(fire));
  if (when < t.looks_at) {
    t.looks_at = when;  // told once: later timers before the thread runs need not be
    t.wake.notify_all();
  }
  return id;
}

void SystemClock::cancel(TimerId id) noexcept {
  if (detail::TimerLanes::is_lane_timer(id)) return timers_->lanes.cancel(id);
  detail::UniqueLock lock(timers_->mutex);
  timers_->queue.cancel(id, lock);
}

}  // namespace recourse
