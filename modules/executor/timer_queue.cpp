// TimerQueue: one-shot timers in a binary heap over reused slots (see timer_queue.cppm). An id
// holds its slot number in its low 32 bits and the count of additions above them, so cancel
// finds the slot at once, and a stale id (the slot since reused) matches nothing.
module;
#include "recourse/mutex.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

module recourse.executor;

namespace recourse::detail {
namespace {

constexpr std::uint32_t slot_of(TimerId id) noexcept { return static_cast<std::uint32_t>(id & 0xffff'ffffu); }

}  // namespace

bool TimerQueue::before(std::uint32_t a, std::uint32_t b) const noexcept {
  const Slot& x = slots_[a];
  const Slot& y = slots_[b];
  return x.when < y.when || (x.when == y.when && x.order < y.order);
}

void TimerQueue::place(std::size_t index, std::uint32_t slot) noexcept {
  heap_[index] = slot;
  slots_[slot].heap_index = index;
}

void TimerQueue::sift_up(std::size_t index) noexcept {
  const std::uint32_t slot = heap_[index];
  while (index > 0) {
    const std::size_t parent = (index - 1) / 2;
    if (!before(slot, heap_[parent])) break;
    place(index, heap_[parent]);
    index = parent;
  }
  place(index, slot);
}

void TimerQueue::sift_down(std::size_t index) noexcept {
  const std::uint32_t slot = heap_[index];
  const std::size_t size = heap_.size();
  while (true) {
    std::size_t child = 2 * index + 1;
    if (child >= size) break;
    if (child + 1 < size && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], slot)) break;
    place(index, heap_[child]);
    index = child;
  }
  place(index, slot);
}

TimerId TimerQueue::add(TimePoint when, std::function<void()> fire) {
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
    free_.reserve(slots_.capacity());  // freeing a slot later never allocates
  }
  const std::uint64_t order = ++added_;
  Slot& s = slots_[slot];
  s.when = when;
  s.order = order;
  // The top bit stays clear (it marks SystemClock's lane timers, timer_lanes.cppm) and the upper
  // half is never 0, so no id is 0 (which means "no timer"). Ids repeat after 2^31 - 1 timers.
  s.id = (((order % 0x7fff'ffffu) + 1) << 32) | slot;
  s.fire = std::move(fire);
  heap_.push_back(slot);
  sift_up(heap_.size() - 1);
  return s.id;
}

std::optional<TimePoint> TimerQueue::earliest() const noexcept {
  if (heap_.empty()) return std::nullopt;
  return slots_[heap_.front()].when;
}

void TimerQueue::remove(std::uint32_t slot) noexcept {
  const std::size_t index = slots_[slot].heap_index;
  const std::uint32_t last = heap_.back();
  heap_.pop_back();
  if (last != slot) {
    place(index, last);
    // The moved slot may belong above or below where the removed one was.
    if (index > 0 && before(last, heap_[(index - 1) / 2])) sift_up(index);
    else sift_down(index);
  }
  slots_[slot].id = 0;
  free_.push_back(slot);
}

void TimerQueue::fire_earliest(UniqueLock& lock) {
  const std::uint32_t slot = heap_.front();
  firing_ = slots_[slot].id;
  firing_thread_ = std::this_thread::get_id();
  std::function<void()> fire = std::move(slots_[slot].fire);
  slots_[slot].fire = nullptr;
  remove(slot);
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
  const std::uint32_t slot = slot_of(id);
  if (id != 0 && slot < slots_.size() && slots_[slot].id == id) {
    // The callback's captures are destroyed here, under the lock, as a cancelled timer's always
    // were: they are the canceller's (a pointer to its AttemptControl).
    slots_[slot].fire = nullptr;
    remove(slot);
    return;
  }
  if (firing_ == id && firing_thread_ != std::this_thread::get_id())
    settled_.wait(lock.native(), [&] { return firing_ != id; });
}

}  // namespace recourse::detail
