// TimerQueue: ordered one-shot timers with O(1) cancel (see timer_queue.cppm).
module;
#include "recourse/mutex.h"

#include <functional>
#include <optional>
#include <thread>
#include <utility>

module recourse.executor;

namespace recourse::detail {

TimerId TimerQueue::add(TimePoint when, std::function<void()> fire) {
  const TimerId id = next_id_++;
  index_.emplace(id, queue_.emplace(when, std::pair(id, std::move(fire))));
  return id;
}

std::optional<TimePoint> TimerQueue::earliest() const noexcept {
  if (queue_.empty()) return std::nullopt;
  return queue_.begin()->first;
}

void TimerQueue::fire_earliest(UniqueLock& lock) {
  auto node = queue_.extract(queue_.begin());
  firing_ = node.mapped().first;
  firing_thread_ = std::this_thread::get_id();
  index_.erase(firing_);
  std::function<void()> fire = std::move(node.mapped().second);
  lock.unlock();
  try {
    fire();
  } catch (...) {
    // Nobody to tell; it must not take down the thread that fired it.
  }
  fire = nullptr;  // its captures die outside the lock too
  lock.lock();
  firing_ = 0;
  settled_.notify_all();
}

void TimerQueue::cancel(TimerId id, UniqueLock& lock) noexcept {
  if (const auto it = index_.find(id); it != index_.end()) {
    queue_.erase(it->second);
    index_.erase(it);
    return;
  }
  if (firing_ == id && firing_thread_ != std::this_thread::get_id())
    settled_.wait(lock.native(), [&] { return firing_ != id; });
}

}  // namespace recourse::detail
