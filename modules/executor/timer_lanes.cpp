// TimerLanes (see timer_lanes.cppm): arming, cancelling and firing by compare-and-swap on a
// slot's state word.
module;
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

module recourse.executor;

import :timer_lanes;

namespace recourse::detail {
namespace {

// Status: free, armed, busy (being fired or cancelled), and busy with a canceller waiting.
constexpr std::uint64_t free_slot = 0, armed = 1, busy = 2, busy_waited = 1;  // busy | busy_waited == 3
constexpr std::uint64_t generation_mask = (std::uint64_t{1} << 51) - 1;  // what a TimerId holds of it

constexpr std::uint64_t state(std::uint64_t generation, std::uint64_t status) noexcept {
  return generation << 2 | status;
}
constexpr std::uint64_t generation_of(std::uint64_t state) noexcept { return state >> 2; }
constexpr std::uint64_t status_of(std::uint64_t state) noexcept { return state & 3; }

// TimerId: lane_bit | generation << 12 | lane << 2 | slot.
static_assert(TimerLanes::max_lanes <= 1024 && TimerLanes::slots_per_lane <= 4);
constexpr TimerId id_of(std::uint64_t generation, std::size_t lane, std::size_t slot) noexcept {
  return TimerLanes::lane_bit | generation << 12 | lane << 2 | slot;
}

std::atomic<std::uint64_t> next_serial{1};

// The arm/look handshake (see arm and will_look_at) is Dekker's: each side stores, then loads
// what the other stored, and one full fence on each side makes sure at least one of them sees
// the other. The timer thread looks rarely and arms happen every call, so the fence is made
// asymmetric where the kernel can (Linux membarrier, as userspace RCU does): arms keep only
// a compiler barrier, and the timer thread's membarrier makes every running thread pass a full
// fence. Without it, arms fall back to a sequentially consistent store and load.
bool register_asymmetric_fence() noexcept {
  const long supported = ::syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
  if (supported < 0 || (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
  return ::syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

bool asymmetric_fence_available() noexcept {
  static const bool available = register_asymmetric_fence();
  return available;
}

// The heavy side: a full fence on every thread of the process that is running now. Once
// registered it cannot fail (membarrier(2)); if it ever did, arms would have had no fence and
// a due timer could be slept past, so that is not carried on with.
void heavy_fence() noexcept {
  if (::syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) std::abort();
}

// The timer being fired on this thread (the timer thread): cancelling it from its own callback
// must not wait for itself.
[[gnu::tls_model("initial-exec")]] thread_local TimerId firing_here = 0;

TimePoint time_of(TimePoint::rep rep) noexcept { return TimePoint(TimePoint::duration(rep)); }

}  // namespace

// The calling thread's lane, on one clock at a time (assign_lane). Its end leaves the lane to
// others.
struct ThreadLane {
  std::uint64_t serial = 0;
  std::size_t index = 0;
  std::shared_ptr<TimerLanes::Lane> lane;
  std::uint64_t refused_serial = 0;  // the clock that had no lane left: not asked again

  void leave() noexcept {
    if (lane) lane->owned.store(false, std::memory_order_release);
    lane.reset();
    serial = 0;
  }
  ~ThreadLane();
};

namespace {
// initial-exec: the core is a shared library, and the general TLS model costs a call on each
// access; every timed attempt reads this twice. (The core is linked, never dlopen'd.)
[[gnu::tls_model("initial-exec")]] thread_local ThreadLane this_thread_lane;
// Set once the thread's lane cache is destroyed (thread exit; static destructors run after the
// main thread's): timers armed after that go to the queue.
[[gnu::tls_model("initial-exec")]] thread_local bool lane_cache_gone = false;
}  // namespace

ThreadLane::~ThreadLane() {
  leave();
  lane_cache_gone = true;
}

TimerLanes::TimerLanes()
    : serial_(next_serial.fetch_add(1, std::memory_order_relaxed)),
      asymmetric_(asymmetric_fence_available()),
      looks_at_(TimePoint::max().time_since_epoch().count()) {}

TimerLanes::~TimerLanes() = default;

bool TimerLanes::has_lane() const noexcept { return this_thread_lane.serial == serial_; }

bool TimerLanes::assign_lane() {
  if (lane_cache_gone) return false;
  ThreadLane& mine = this_thread_lane;
  if (mine.refused_serial == serial_) return false;  // a thread past max_lanes: the queue, at once
  // A thread that arms on two clocks in turn takes a lane on each turn: correct, at the
  // queue's cost (a service has one clock; tests may have several).
  mine.leave();
  const std::size_t count = count_.load(std::memory_order_relaxed);
  std::size_t index = count;
  for (std::size_t i = 0; i < count && index == count; ++i) {
    bool left = false;
    if (owners_[i]->owned.compare_exchange_strong(left, true, std::memory_order_acq_rel)) index = i;
  }
  if (index == count) {
    if (count == max_lanes) {
      mine.refused_serial = serial_;
      return false;
    }
    owners_.push_back(std::make_shared<Lane>());
    lanes_[count].store(owners_.back().get(), std::memory_order_release);
    count_.store(count + 1, std::memory_order_release);
  }
  mine.lane = owners_[index];
  mine.index = index;
  mine.serial = serial_;
  return true;
}

TimerId TimerLanes::arm(TimePoint when, std::function<void()>& fire, bool& wake) noexcept {
  ThreadLane& mine = this_thread_lane;
  if (mine.serial != serial_) return 0;
  for (std::size_t i = 0; i < slots_per_lane; ++i) {
    Slot& slot = mine.lane->slots[i];
    // Free means nobody else touches the slot until it is armed again, by this thread.
    const std::uint64_t was = slot.state.load(std::memory_order_acquire);
    if (status_of(was) != free_slot) continue;
    const std::uint64_t generation = (generation_of(was) + 1) & generation_mask;
    slot.fire = std::move(fire);
    slot.when.store(when.time_since_epoch().count(), std::memory_order_relaxed);
    // Store, fence, load, as will_look_at does the other way round: either this arm sees the
    // timer thread's new look, or the thread's scan sees this timer.
    if (asymmetric_) {
      slot.state.store(state(generation, armed), std::memory_order_release);
      std::atomic_signal_fence(std::memory_order_seq_cst);  // made a full fence by heavy_fence
      wake = when.time_since_epoch().count() < looks_at_.load(std::memory_order_relaxed);
    } else {
      slot.state.store(state(generation, armed));
      wake = when.time_since_epoch().count() < looks_at_.load();
    }
    return id_of(generation, mine.index, i);
  }
  return 0;
}

void TimerLanes::cancel(TimerId id) noexcept {
  const std::size_t lane = (id >> 2) & (max_lanes - 1);
  const std::uint64_t generation = (id >> 12) & generation_mask;
  if (lane >= count_.load(std::memory_order_acquire)) return;
  Slot& slot = lanes_[lane].load(std::memory_order_acquire)->slots[id & 3];
  std::uint64_t expected = state(generation, armed);
  const ThreadLane& mine = this_thread_lane;
  if (mine.serial == serial_ && mine.index == lane) {
    // The owner (the common case: an attempt's deadline cancelled by its caller): only it arms
    // this slot again, so it may free the slot first and let go of the callback after.
    if (slot.state.compare_exchange_strong(expected, state(generation, free_slot), std::memory_order_acq_rel)) {
      slot.fire = nullptr;
      return;
    }
  } else if (slot.state.compare_exchange_strong(expected, state(generation, busy), std::memory_order_acq_rel)) {
    // Its captures die here, on the canceller's thread, the slot busy: a capture whose
    // destructor cancelled this same timer would wait for itself (the executor's captures are
    // plain pointers).
    slot.fire = nullptr;
    release(slot, state(generation, free_slot));
    return;
  }
  // Gone (fired, cancelled), or being fired or cancelled right now: wait for that to finish,
  // unless it is this very callback cancelling itself.
  if (status_of(expected) < busy || generation_of(expected) != generation || firing_here == id) return;
  for (;;) {
    if (status_of(expected) == busy &&
        !slot.state.compare_exchange_strong(expected, expected | busy_waited, std::memory_order_acq_rel))
      continue;  // it changed: look again
    if (status_of(expected) < busy || generation_of(expected) != generation) return;
    slot.state.wait(state(generation, busy | busy_waited), std::memory_order_acquire);
    expected = slot.state.load(std::memory_order_acquire);
    if (generation_of(expected) != generation || status_of(expected) < busy) return;
  }
}

// Ends a busy slot: `to` (free, this generation); wakes a canceller waiting for it.
void TimerLanes::release(Slot& slot, std::uint64_t to) noexcept {
  if (status_of(slot.state.exchange(to, std::memory_order_acq_rel)) == (busy | busy_waited)) slot.state.notify_all();
}

void TimerLanes::fire_slot(Slot& slot, std::uint64_t armed_state) {
  if (!slot.state.compare_exchange_strong(armed_state, armed_state - armed + busy, std::memory_order_acq_rel)) return;
  std::function<void()> fire = std::move(slot.fire);
  slot.fire = nullptr;
  try {
    fire();
  } catch (...) {
    // Nobody to tell; it must not take down the timer thread.
  }
  fire = nullptr;
  release(slot, armed_state - armed + free_slot);
}

std::optional<TimePoint> TimerLanes::fire_due(TimePoint now) {
  std::optional<TimePoint> next;
  const std::size_t count = count_.load(std::memory_order_acquire);
  for (std::size_t l = 0; l < count; ++l) {
    Lane& lane = *lanes_[l].load(std::memory_order_acquire);
    for (std::size_t i = 0; i < slots_per_lane; ++i) {
      Slot& slot = lane.slots[i];
      const std::uint64_t s = slot.state.load(std::memory_order_acquire);
      if (status_of(s) != armed) continue;
      // Read after the state: this generation's time or a later one's, and then the
      // compare-and-swap in fire_slot fails, so a timer is never fired early.
      const TimePoint when = time_of(slot.when.load(std::memory_order_relaxed));
      if (when <= now) {
        firing_here = id_of(generation_of(s), l, i);
        fire_slot(slot, s);
        firing_here = 0;
      } else {
        next = next ? std::min(*next, when) : when;
      }
    }
  }
  return next;
}

std::optional<TimePoint> TimerLanes::earliest_armed() const noexcept {
  std::optional<TimePoint> earliest;
  const std::size_t count = count_.load();
  for (std::size_t l = 0; l < count; ++l) {
    const Lane& lane = *lanes_[l].load();
    for (const Slot& slot : lane.slots) {
      if (status_of(slot.state.load()) != armed) continue;
      const TimePoint when = time_of(slot.when.load(std::memory_order_relaxed));
      earliest = earliest ? std::min(*earliest, when) : when;
    }
  }
  return earliest;
}

std::optional<TimePoint> TimerLanes::will_look_at(TimePoint next) noexcept {
  looks_at_.store(next.time_since_epoch().count());
  if (asymmetric_) heavy_fence();
  return earliest_armed();
}

}  // namespace recourse::detail
