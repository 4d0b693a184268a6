// VirtualClock: time moves only when every worker sleeps (see builtins.cppm).
//
// `running_` counts workers that are awake (and holds for workers about to start). A worker's
// sleep takes it out of the count; whoever wakes it puts it back before letting go of the lock,
// so there is no instant in which a woken worker is uncounted and time could slip past it.
//
// The hand-off: the waker marks the sleeper woken under the lock and rings the sleeper's
// thread's bell after letting the lock go; the woken thread waits on its bell, not on a
// condition variable, so it never needs the lock back. (With a condition variable notified
// under the lock, the woken thread, often scheduled at once on the waker's core, blocked again
// on the lock the waker still held: three context switches a hand-off instead of one; a
// simulation is hundreds of thousands of hand-offs.)
module;
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "recourse/mutex.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

module recourse.executor;

namespace recourse {
namespace {

// The clock the calling thread works for, and how many ClockWorkScopes deep. One clock per
// thread: entering a second one while working for another is not counted there.
thread_local const VirtualClock* worker_of = nullptr;
thread_local int worker_depth = 0;

// A thread's bell: rung by whoever woke one of its sleeps. Rung after the waker let go of the
// lock, so the sleep it was for may be over and the sleeper gone by then: the bell outlives any
// sleep, and a ring that arrives late only makes a later sleep of the same thread look once
// more at whether it was woken.
//
// A futex word, not std::atomic::wait: libstdc++'s wait spins through sched_yield first, which
// on a simulation's threads (one core, one runnable at a time) is a context switch per yield.
// States: quiet, rung, and asleep (in FUTEX_WAIT), so a ring costs a system call only when the
// thread is really asleep.
struct Bell {
  static constexpr std::uint32_t quiet = 0, rung = 1, asleep = 2;
  std::atomic<std::uint32_t> state{quiet};
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

  std::uint32_t* word() noexcept { return reinterpret_cast<std::uint32_t*>(&state); }

  void ring() noexcept {
    if (state.exchange(rung) == asleep) ::syscall(SYS_futex, word(), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }
  // Returns after a ring (this one's or a late one), or spuriously; the caller looks again.
  void wait() noexcept {
    std::uint32_t expected = quiet;
    if (state.compare_exchange_strong(expected, asleep))
      ::syscall(SYS_futex, word(), FUTEX_WAIT_PRIVATE, asleep, nullptr, nullptr, 0);
    state.store(quiet);
  }
};

// Bells are never freed (a late ring may still reach one): a thread's goes back to the pool
// when the thread ends, for the next thread, so there are never more than threads ever alive
// at once.
class BellPool {
 public:
  static BellPool& instance() {
    static BellPool* const pool = new BellPool;  // never destroyed: threads end after statics do
    return *pool;
  }
  Bell* take() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) return new Bell;
    Bell* bell = free_.back();
    free_.pop_back();
    return bell;
  }
  void give(Bell* bell) noexcept {
    std::lock_guard lock(mutex_);
    try {
      free_.push_back(bell);
    } catch (...) {
      // Out of memory: the bell is kept by nobody; one bell's bytes, never freed anyway.
    }
  }

 private:
  std::mutex mutex_;
  std::vector<Bell*> free_;
};

// The thread's bell, taken from the pool at its first sleep and given back when the thread
// ends. Plain thread_locals (trivially destructible) so a ring_later can compare against it
// without constructing anything; a sleep after the give-back (a static destructor on the main
// thread) takes a bell that is then never given back.
[[gnu::tls_model("initial-exec")]] thread_local Bell* my_bell = nullptr;
[[gnu::tls_model("initial-exec")]] thread_local bool bell_given_back = false;

struct BellGiveBack {
  bool armed = false;
  ~BellGiveBack() {
    if (my_bell != nullptr) BellPool::instance().give(my_bell);
    my_bell = nullptr;
    bell_given_back = true;
  }
};
thread_local BellGiveBack bell_give_back;

Bell& this_thread_bell() {
  if (my_bell == nullptr) {
    my_bell = BellPool::instance().take();
    if (!bell_given_back) bell_give_back.armed = true;  // constructed now: its destructor runs at thread exit
  }
  return *my_bell;
}

// Bells to ring once the lock is let go, collected by advance_locked on this thread. Full,
// a bell is rung at once, under the lock: correct, only slower.
struct PendingRings {
  std::array<Bell*, 8> bells{};
  std::size_t count = 0;
};
thread_local PendingRings pending_rings;

void ring_later(Bell& bell) noexcept {
  if (&bell == my_bell) return;  // a thread waking itself looks at `woken` anyway
  if (pending_rings.count == pending_rings.bells.size()) return bell.ring();
  pending_rings.bells[pending_rings.count++] = &bell;
}

// Called without the clock's lock.
void ring_pending() noexcept {
  for (std::size_t i = 0; i < pending_rings.count; ++i) pending_rings.bells[i]->ring();
  pending_rings.count = 0;
}

}  // namespace

struct VirtualClock::Sleeper {
  TimePoint until;
  std::uint64_t sequence = 0;  // sleepers due at the same time wake in the order they slept
  bool counted = false;        // a worker: back into running_ when woken
  bool stopped = false;        // set before `woken`, under the lock
  // Set under the lock; read by the sleeping thread without it (it waits on its bell).
  std::atomic<bool> woken{false};
  Bell* bell = nullptr;         // its thread's
  std::size_t heap_index = 0;   // where it is in sleepers_, while it is there
};

namespace {

// sleepers_ as a binary min-heap over (until, sequence): a total order, so the wake order is
// the same in every run. Each sleeper knows its place, so a stopped one moves in O(log n).
bool wakes_before(const VirtualClock::Sleeper* a, const VirtualClock::Sleeper* b) noexcept {
  return a->until != b->until ? a->until < b->until : a->sequence < b->sequence;
}

void place(std::vector<VirtualClock::Sleeper*>& heap, std::size_t i, VirtualClock::Sleeper* s) noexcept {
  heap[i] = s;
  s->heap_index = i;
}

void sift_up(std::vector<VirtualClock::Sleeper*>& heap, std::size_t i) noexcept {
  VirtualClock::Sleeper* const s = heap[i];
  while (i > 0 && wakes_before(s, heap[(i - 1) / 2])) {
    place(heap, i, heap[(i - 1) / 2]);
    i = (i - 1) / 2;
  }
  place(heap, i, s);
}

void sift_down(std::vector<VirtualClock::Sleeper*>& heap, std::size_t i) noexcept {
  VirtualClock::Sleeper* const s = heap[i];
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= heap.size()) break;
    if (child + 1 < heap.size() && wakes_before(heap[child + 1], heap[child])) ++child;
    if (!wakes_before(heap[child], s)) break;
    place(heap, i, heap[child]);
    i = child;
  }
  place(heap, i, s);
}

void push(std::vector<VirtualClock::Sleeper*>& heap, VirtualClock::Sleeper* s) {
  heap.push_back(s);
  sift_up(heap, heap.size() - 1);
}

void remove(std::vector<VirtualClock::Sleeper*>& heap, VirtualClock::Sleeper* s) noexcept {
  const std::size_t i = s->heap_index;
  VirtualClock::Sleeper* const last = heap.back();
  heap.pop_back();
  if (last == s) return;
  place(heap, i, last);
  sift_down(heap, i);
  sift_up(heap, last->heap_index);
}

}  // namespace

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
    if (const auto due = timers_.earliest(); due && *due <= sleepers_.front()->until) {
      now_ = std::max(now_, *due);
      advancing_ = true;
      timers_.fire_earliest(lock);
      advancing_ = false;
      continue;
    }
    Sleeper& sleeper = *sleepers_.front();
    remove(sleepers_, &sleeper);
    now_ = std::max(now_, sleeper.until);
    if (sleeper.counted) ++running_;
    Bell& bell = *sleeper.bell;
    sleeper.woken.store(true);  // from here the sleeper may return and be gone
    ring_later(bell);
  }
}

// A stopped sleeper is due now, not woken now: it takes its turn like any other, in the order
// it went to sleep, so several attempts stopped at once (a hedge group decided, a caller
// cancelling) wake one at a time, deterministically.
void VirtualClock::wake_stopped(Sleeper& sleeper) noexcept {
  detail::UniqueLock lock(mutex_);
  if (sleeper.woken.load() || sleeper.stopped) return;
  sleeper.stopped = true;
  // Not woken, so still in the heap: due now, in its order of sleeping.
  remove(sleepers_, &sleeper);
  sleeper.until = now_;
  push(sleepers_, &sleeper);
  advance_locked(lock);
  lock.unlock();
  ring_pending();
}

bool VirtualClock::sleep_until(TimePoint until, std::stop_token stop) {
  if (stop.stop_requested()) return false;
  Sleeper me;
  me.until = until;
  me.counted = worker_of == this;
  me.bell = &this_thread_bell();
  detail::UniqueLock lock(mutex_);
  me.sequence = next_sleeper_++;
  push(sleepers_, &me);
  if (me.counted) --running_;
  lock.unlock();
  {
    // Registered outside the lock: a stop already requested runs the callback right here.
    std::stop_callback on_stop(stop, [this, &me] { wake_stopped(me); });
    lock.lock();
    advance_locked(lock);
    lock.unlock();  // before on_stop's destructor, which waits for a callback in flight
    ring_pending();
    // A ring may be a late one, meant for an earlier sleep: `woken` decides. The bell's reset
    // and the look at `woken` after it are sequentially consistent with the waker's store of
    // `woken` and its ring, so a ring for this sleep is never reset unseen.
    while (!me.woken.load()) me.bell->wait();
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
  lock.unlock();
  ring_pending();
}

void VirtualClock::leave() noexcept {
  if (worker_of != this || --worker_depth > 0) return;
  worker_of = nullptr;
  drop_hold();
}

bool VirtualClock::entered() const noexcept { return worker_of == this; }

void VirtualClock::yield() noexcept {
  // Counted, so time cannot move before this sleeper is in: now() is still now.
  if (worker_of == this) sleep_until(now(), {});
}

void VirtualClock::advance(Duration by) { sleep_until(saturating_add(now(), by), {}); }

}  // namespace recourse
