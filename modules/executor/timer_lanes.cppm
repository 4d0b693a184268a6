// recourse.executor:timer_lanes — SystemClock's lock-free timers: each thread arms its
// timers in a lane of a few slots of its own, with no lock and no wake-up, and the timer
// thread looks at the lanes only when it wakes for a reason of its own.
//
// Why: nearly every timer is an attempt's deadline, armed before the operation and cancelled
// after it, long before it is due. Through the clock's queue that is two lock round trips per
// attempt, and on two threads the lock's cache line moves between cores each time. In a lane,
// arming is a few stores to a cache line the thread owns and cancelling one compare-and-swap.
// The timer thread needs to hear of a lane timer only when it is due before the thread's next
// look (`looks_at`), which for a steady stream of "now + 1 s" deadlines is never: each is due
// after the one the thread is already waiting for.
//
// A slot's state word is its generation and a status (free, armed, busy: being fired or
// cancelled); a TimerId names lane, slot and generation, so a stale id matches nothing. Only
// the thread that owns a lane arms its slots; anyone may cancel, and the timer thread fires,
// each by winning the compare-and-swap from "armed, this generation" to "busy". A lane
// outlives its thread (shared ownership with the thread's cache): a thread that ends leaves
// its lane to the next thread that needs one, its armed timers still pending.
module;
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

export module recourse.executor:timer_lanes;

import recourse.plugin;

namespace recourse::detail {

class TimerLanes {
 public:
  static constexpr TimerId lane_bit = TimerId{1} << 63;  // queue ids never have it (timer_queue.cpp)
  static constexpr std::size_t slots_per_lane = 4;
  static constexpr std::size_t max_lanes = 1024;  // further threads use the queue

  TimerLanes();
  ~TimerLanes();
  TimerLanes(const TimerLanes&) = delete;
  TimerLanes& operator=(const TimerLanes&) = delete;

  static bool is_lane_timer(TimerId id) noexcept { return (id & lane_bit) != 0; }

  // Arms a timer in the calling thread's lane, taking `fire`; 0 (and `fire` left alone) when
  // the thread has no lane on this clock or its slots are all taken. `wake` is set when the
  // timer is due before the timer thread's next look: the caller must wake it.
  TimerId arm(TimePoint when, std::function<void()>& fire, bool& wake) noexcept;
  bool has_lane() const noexcept;
  // Gives the calling thread a lane on this clock (a left one, or a new one); under the
  // clock's lock. False when all max_lanes are taken.
  bool assign_lane();
  // After it returns the timer is not running and never will (one cancelling itself from its
  // own callback is not waited for).
  void cancel(TimerId id) noexcept;

  // The timer thread: fires the due timers (their callbacks run here) and returns when the
  // earliest one still armed is due.
  std::optional<TimePoint> fire_due(TimePoint now);
  // The timer thread, before it sleeps until `next`: says so, and returns the earliest armed
  // timer it must not sleep past (an arm that raced with the saying; see the .cpp).
  std::optional<TimePoint> will_look_at(TimePoint next) noexcept;
  // The timer thread, awake: arms in the meantime need not wake it.
  void looking() noexcept { looks_at_.store(TimePoint::min().time_since_epoch().count()); }

 private:
  friend struct ThreadLane;
  struct Slot {
    std::atomic<std::uint64_t> state{0};           // generation << 2 | status
    std::atomic<TimePoint::rep> when{0};           // valid while armed
    std::function<void()> fire;                    // touched only by whoever holds the slot
  };
  struct alignas(64) Lane {  // a cache line of its own: lanes are written by different threads
    std::array<Slot, slots_per_lane> slots;
    std::atomic<bool> owned{true};  // a live thread arms here
  };

  std::optional<TimePoint> earliest_armed() const noexcept;
  void fire_slot(Slot& slot, std::uint64_t armed_state);
  static void release(Slot& slot, std::uint64_t to) noexcept;

  const std::uint64_t serial_;  // which clock a thread's cached lane belongs to
  const bool asymmetric_;       // arms need no full fence (membarrier; timer_lanes.cpp)
  // [0, count_) published, never taken back; read without the lock by cancel and the timer
  // thread. Owned by owners_ (under the clock's lock) and by the threads' caches.
  std::array<std::atomic<Lane*>, max_lanes> lanes_{};
  std::atomic<std::size_t> count_{0};
  std::vector<std::shared_ptr<Lane>> owners_;
  std::atomic<TimePoint::rep> looks_at_;
};

}  // namespace recourse::detail
