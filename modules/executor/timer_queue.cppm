// recourse.executor:timer_queue — the one-shot timers of a clock, in due order. SystemClock and
// VirtualClock differ in when a timer is due (a real deadline passing, or virtual time reaching
// it), not in how timers are kept, fired and cancelled; that part is this, once.
//
// Not self-locking: every member runs under the owning clock's mutex, passed in where the queue
// must let go of it (a callback runs outside the lock, so it may schedule or cancel timers). The
// owner declares its queue RECOURSE_GUARDED_BY that mutex, so the analysis checks each use.
module;
#include "recourse/export.h"
#include "recourse/mutex.h"

#include <condition_variable>
#include <functional>
#include <cstdint>
#include <vector>
#include <optional>
#include <thread>
#include <utility>

export module recourse.executor:timer_queue;

import recourse.plugin;

namespace recourse::detail {

class RECOURSE_API TimerQueue {
 public:
  TimerId add(TimePoint when, std::function<void()> fire);
  bool empty() const noexcept { return heap_.empty(); }
  // When the earliest timer is due; nullopt when none waits.
  std::optional<TimePoint> earliest() const noexcept;
  // Takes the earliest timer out and runs it with `lock` released, then takes the lock again. A
  // callback that throws is dropped: a timer has no caller to report to. Precondition: !empty().
  // Unchecked inside: clang 19 cannot require a lock passed as a parameter (REQUIRES(lock) on a
  // scoped lock is refused), so the let-go-and-retake looks unbalanced to the analysis.
  void fire_earliest(UniqueLock& lock) RECOURSE_NO_THREAD_SAFETY_ANALYSIS;
  // After it returns, the timer is not running and never will: a pending one is removed, one
  // firing on another thread is waited for (one cancelling itself from its callback is not).
  void cancel(TimerId id, UniqueLock& lock) noexcept;

 private:
  // A timer lives in a slot, reused once it fired or was cancelled, and the heap orders slot
  // numbers by (due time, order of adding): after the first timers, adding and cancelling one
  // allocates nothing (a call with a deadline arms and cancels one every attempt).
  struct Slot {
    TimePoint when{};
    std::uint64_t order = 0;         // ties at one due time fire in the order they were added
    TimerId id = 0;                  // 0: the slot is free
    std::size_t heap_index = 0;      // where the slot is in heap_
    std::function<void()> fire;
  };
  bool before(std::uint32_t a, std::uint32_t b) const noexcept;
  void place(std::size_t index, std::uint32_t slot) noexcept;
  void sift_up(std::size_t index) noexcept;
  void sift_down(std::size_t index) noexcept;
  // Takes the slot out of the heap and frees it; its callback is moved out first by the caller.
  void remove(std::uint32_t slot) noexcept;

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;  // free slot numbers
  std::vector<std::uint32_t> heap_;  // slot numbers, a binary min-heap
  std::uint64_t added_ = 0;          // counts additions: ids and tie order
  TimerId firing_ = 0;
  std::thread::id firing_thread_;
  std::condition_variable settled_;  // the callback cancel() waits for has returned
};

}  // namespace recourse::detail
