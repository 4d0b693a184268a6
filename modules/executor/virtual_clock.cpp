// VirtualClock: time moves only when every worker sleeps (see builtins.cppm).
//
// `running_` counts workers that are awake (and holds for workers about to start). A worker's
// sleep takes it out of the count; whoever wakes it puts it back before letting go of the lock,
// so there is no instant in which a woken worker is uncounted and time could slip past it.
module;
#include "recourse/mutex.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <stop_token>
#include <thread>
#include <utility>

module recourse.executor;

namespace recourse {
namespace {

// The clock the calling thread works for, and how many ClockWorkScopes deep. One clock per
// thread: entering a second one while working for another is not counted there.
thread_local const VirtualClock* worker_of = nullptr;
thread_local int worker_depth = 0;

}  // namespace

struct VirtualClock::Sleeper {
  TimePoint until;
  std::uint64_t sequence = 0;  // sleepers due at the same time wake in the order they slept
  bool counted = false;        // a worker: back into running_ when woken
  bool woken = false;
  bool stopped = false;
  // Its own: waking one sleeper must not wake them all (a simulation has hundreds).
  std::condition_variable wake;
};

VirtualClock::VirtualClock(TimePoint start, WallTime wall_start)
    : start_(start), wall_start_(wall_start), now_(start) {}

VirtualClock::~VirtualClock() = default;

TimePoint VirtualClock::now() const noexcept {
  detail::MutexLock lock(mutex_);
  return now_;
}

WallTime VirtualClock::wall_now() const noexcept {
  // Saturated: a sleep until TimePoint::max() may have carried now() to the end of time.
  Duration::rep since_start;
  if (__builtin_sub_overflow(now().time_since_epoch().count(), start_.time_since_epoch().count(), &since_start))
    return WallTime::max();
  const auto elapsed = std::chrono::duration_cast<WallTime::duration>(Duration(since_start));
  WallTime::rep sum;
  if (__builtin_add_overflow(wall_start_.time_since_epoch().count(), elapsed.count(), &sum)) return WallTime::max();
  return WallTime(WallTime::duration(sum));
}

void VirtualClock::advance_locked(detail::UniqueLock& lock) {
  while (running_ == 0 && !advancing_) {
    // Time passes only for someone asleep on it: timers due before the earliest wake-up fire,
    // and none beyond it.
    if (sleepers_.empty()) return;
    if (const auto due = timers_.earliest(); due && *due <= sleepers_.begin()->first.first) {
      now_ = std::max(now_, *due);
      advancing_ = true;
      timers_.fire_earliest(lock);
      advancing_ = false;
      continue;
    }
    const auto next = sleepers_.begin();
    Sleeper& sleeper = *next->second;
    sleepers_.erase(next);
    now_ = std::max(now_, sleeper.until);
    sleeper.woken = true;
    if (sleeper.counted) ++running_;
    sleeper.wake.notify_one();
  }
}

// A stopped sleeper is due now, not woken now: it takes its turn like any other, in the order
// it went to sleep, so several attempts stopped at once (a hedge group decided, a caller
// cancelling) wake one at a time, deterministically.
void VirtualClock::wake_stopped(Sleeper& sleeper) noexcept {
  detail::UniqueLock lock(mutex_);
  if (sleeper.woken || sleeper.stopped) return;
  sleeper.stopped = true;
  const auto it = sleepers_.find(std::pair(sleeper.until, sleeper.sequence));
  if (it != sleepers_.end()) {
    sleepers_.erase(it);
    sleeper.until = now_;
    sleepers_.emplace(std::pair(now_, sleeper.sequence), &sleeper);
  }
  advance_locked(lock);
}

bool VirtualClock::sleep_until(TimePoint until, std::stop_token stop) {
  if (stop.stop_requested()) return false;
  Sleeper me;
  me.until = until;
  me.counted = worker_of == this;
  detail::UniqueLock lock(mutex_);
  me.sequence = next_sleeper_++;
  sleepers_.emplace(std::pair(until, me.sequence), &me);
  if (me.counted) --running_;
  lock.unlock();
  {
    // Registered outside the lock: a stop already requested runs the callback right here.
    std::stop_callback on_stop(stop, [this, &me] { wake_stopped(me); });
    lock.lock();
    advance_locked(lock);
    while (!me.woken) me.wake.wait(lock.native());  // wait(lock, pred), with the loop in view
    lock.unlock();  // before on_stop's destructor, which waits for a callback in flight
  }
  return !me.stopped;
}

TimerId VirtualClock::schedule(TimePoint when, std::function<void()> fire) {
  detail::MutexLock lock(mutex_);
  return timers_.add(when, std::move(fire));
}

void VirtualClock::cancel(TimerId id) noexcept {
  detail::UniqueLock lock(mutex_);
  timers_.cancel(id, lock);
}

void VirtualClock::hold() noexcept {
  detail::MutexLock lock(mutex_);
  ++running_;
}

void VirtualClock::enter(bool held) noexcept {
  if (worker_of == nullptr) {
    worker_of = this;
    worker_depth = 1;
    if (!held) hold();
    return;
  }
  // Already counted (a nested scope), or a worker of another clock, never counted here: a
  // hold taken for this thread is surplus.
  if (worker_of == this) ++worker_depth;
  if (held) drop_hold();
}

void VirtualClock::drop_hold() noexcept {
  detail::UniqueLock lock(mutex_);
  --running_;
  advance_locked(lock);
}

void VirtualClock::leave() noexcept {
  if (worker_of != this || --worker_depth > 0) return;
  worker_of = nullptr;
  drop_hold();
}

bool VirtualClock::entered() const noexcept { return worker_of == this; }

void VirtualClock::advance(Duration by) { sleep_until(saturating_add(now(), by), {}); }

}  // namespace recourse
