// VirtualClock: time moves only when someone sleeps or advances it (see builtins.cppm).
module;
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <thread>
#include <condition_variable>
#include <utility>

module recourse.executor;

namespace recourse {

VirtualClock::VirtualClock(TimePoint start) : now_(start) {}

TimePoint VirtualClock::now() const noexcept {
  std::lock_guard lock(mutex_);
  return now_;
}

bool VirtualClock::fire_next(TimePoint until) {
  std::function<void()> fire;
  {
    std::lock_guard lock(mutex_);
    if (timers_.empty() || timers_.begin()->first > until) return false;
    auto node = timers_.extract(timers_.begin());
    if (now_ < node.key()) now_ = node.key();
    firing_ = node.mapped().first;
    index_.erase(firing_);
    firing_thread_ = std::this_thread::get_id();
    fire = std::move(node.mapped().second);
  }
  try {
    fire();
  } catch (...) {
    // A timer callback has no one to report to; it must not take the sleeper down with it.
  }
  {
    std::lock_guard lock(mutex_);
    firing_ = 0;
  }
  settled_.notify_all();
  return true;
}

bool VirtualClock::sleep_until(TimePoint until, std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (fire_next(until)) continue;
    std::lock_guard lock(mutex_);
    if (now_ < until) now_ = until;
    return true;
  }
  return false;
}

TimerId VirtualClock::schedule(TimePoint when, std::function<void()> fire) {
  std::lock_guard lock(mutex_);
  const TimerId id = next_id_++;
  index_.emplace(id, timers_.emplace(when, std::pair(id, std::move(fire))));
  return id;
}

void VirtualClock::cancel(TimerId id) noexcept {
  std::unique_lock lock(mutex_);
  if (const auto it = index_.find(id); it != index_.end()) {
    timers_.erase(it->second);
    index_.erase(it);
    return;
  }
  // Firing on another thread: wait for it to return, as the Clock contract promises.
  if (firing_ == id && firing_thread_ != std::this_thread::get_id())
    settled_.wait(lock, [&] { return firing_ != id; });
}

void VirtualClock::advance(Duration by) { sleep_until(now() + by, {}); }

}  // namespace recourse
