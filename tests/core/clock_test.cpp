// The clocks: VirtualClock's timers fire in time order during sleeps and never after cancel;
// SystemClock's timer thread fires due timers and cancel() keeps its promise — for timers in a
// thread's lane (armed without the lock) and in the queue (a full lane), across threads, and
// for a lane left behind by a thread that ended.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <stdexcept>
#include <thread>
#include <vector>

import recourse.core;

using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(clocks)

BOOST_AUTO_TEST_CASE(virtual_timers_fire_in_time_order_while_sleeping) {
  recourse::VirtualClock virtual_clock;
  std::vector<int> fired;
  virtual_clock.schedule(virtual_clock.now() + 30ms, [&] { fired.push_back(3); });
  virtual_clock.schedule(virtual_clock.now() + 10ms, [&] { fired.push_back(1); });
  const auto cancelled = virtual_clock.schedule(virtual_clock.now() + 20ms, [&] { fired.push_back(2); });
  virtual_clock.cancel(cancelled);
  virtual_clock.advance(25ms);
  BOOST_TEST(fired == (std::vector<int>{1}), boost::test_tools::per_element());
  virtual_clock.advance(10ms);
  BOOST_TEST(fired == (std::vector<int>{1, 3}), boost::test_tools::per_element());
  BOOST_TEST((virtual_clock.now() - recourse::TimePoint{}).count() == recourse::Duration(35ms).count());
}

// The queue reuses the slots of fired and cancelled timers: an old id must not reach the timer
// that took its slot, ties fire in the order they were added, and many timers come out in
// time order whatever order they went in and were cancelled in.
BOOST_AUTO_TEST_CASE(virtual_timers_reuse_slots_without_confusing_ids_or_order) {
  recourse::VirtualClock virtual_clock;
  std::vector<int> fired;
  const auto first = virtual_clock.schedule(virtual_clock.now() + 10ms, [&] { fired.push_back(-1); });
  virtual_clock.cancel(first);
  virtual_clock.schedule(virtual_clock.now() + 10ms, [&] { fired.push_back(1); });  // first's slot
  virtual_clock.cancel(first);  // stale: changes nothing
  virtual_clock.schedule(virtual_clock.now() + 10ms, [&] { fired.push_back(2); });
  virtual_clock.advance(10ms);
  BOOST_TEST(fired == (std::vector<int>{1, 2}), boost::test_tools::per_element());

  fired.clear();
  std::vector<recourse::TimerId> ids;
  for (int i = 0; i < 200; ++i) {
    const int due = (i * 37) % 200;  // a permutation of 0..199
    ids.push_back(virtual_clock.schedule(virtual_clock.now() + std::chrono::milliseconds(1 + due),
                                         [&fired, due] { fired.push_back(due); }));
  }
  for (int i = 0; i < 200; i += 3) virtual_clock.cancel(ids[static_cast<std::size_t>(i)]);
  virtual_clock.advance(300ms);
  std::vector<int> expected;
  for (int i = 0; i < 200; ++i)
    if (i % 3 != 0) expected.push_back((i * 37) % 200);
  std::ranges::sort(expected);
  BOOST_TEST(fired == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_virtual_timer_can_interrupt_the_sleep_it_falls_into) {
  recourse::VirtualClock virtual_clock;
  std::stop_source stop;
  virtual_clock.schedule(virtual_clock.now() + 5ms, [&] { stop.request_stop(); });
  BOOST_TEST(!virtual_clock.sleep_until(virtual_clock.now() + 1s, stop.get_token()));
  BOOST_TEST((virtual_clock.now() - recourse::TimePoint{}).count() == recourse::Duration(5ms).count());
}

BOOST_AUTO_TEST_CASE(a_throwing_virtual_timer_does_not_escape) {
  recourse::VirtualClock virtual_clock;
  virtual_clock.schedule(virtual_clock.now() + 1ms, [] { throw std::runtime_error("timer bug"); });
  BOOST_CHECK_NO_THROW(virtual_clock.advance(2ms));
}

BOOST_AUTO_TEST_CASE(system_timers_fire_and_cancelled_ones_never_do) {
  recourse::SystemClock clock;
  std::mutex mutex;
  std::condition_variable done;
  int fired = 0;
  bool cancelled_fired = false;
  const auto far = clock.schedule(clock.now() + 1h, [&] { cancelled_fired = true; });
  clock.cancel(far);
  clock.schedule(clock.now(), [] { throw std::runtime_error("must not terminate"); });
  clock.schedule(clock.now(), [&] {
    std::lock_guard lock(mutex);
    ++fired;
    done.notify_all();
  });
  std::unique_lock lock(mutex);
  // Waiting for an event, bounded so a broken timer thread fails the test instead of hanging.
  BOOST_TEST(done.wait_for(lock, 10s, [&] { return fired == 1; }));
  BOOST_TEST(!cancelled_fired);
}

namespace {

// Counts fired callbacks and lets a test wait (bounded) for a number of them.
struct FiredCount {
  std::mutex mutex;
  std::condition_variable changed;
  int fired = 0;
  void add() {
    std::lock_guard lock(mutex);
    ++fired;
    changed.notify_all();
  }
  bool wait_for(int n) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 10s, [&] { return fired >= n; });
  }
};

}  // namespace

// Eight timers from one thread: four fill its lane, the rest go to the queue. Each fires once,
// never before it is due; the cancelled ones (two of each kind) never.
BOOST_AUTO_TEST_CASE(system_timers_in_a_lane_and_in_the_queue_fire_when_due_and_cancelled_ones_never) {
  recourse::SystemClock clock;
  FiredCount count;
  std::atomic<int> early{0}, cancelled_fired{0};
  std::vector<recourse::TimerId> ids;
  const auto start = clock.now();
  for (int i = 0; i < 8; ++i) {
    const auto when = start + std::chrono::milliseconds(2 * i);
    ids.push_back(clock.schedule(when, [&, when, i] {
      if (i % 4 == 3) cancelled_fired.fetch_add(1);
      if (clock.now() < when) early.fetch_add(1);
      count.add();
    }));
  }
  // Slots 3 (a lane timer) and 7 (a queue timer), and again: a second cancel is harmless.
  for (const int i : {3, 7, 3, 7}) clock.cancel(ids[static_cast<std::size_t>(i)]);
  BOOST_TEST(count.wait_for(6));
  BOOST_TEST(early.load() == 0);
  // A later timer fires after all of them: anything still pending would have fired by then.
  clock.schedule(clock.now() + 5ms, [&] { count.add(); });
  BOOST_TEST(count.wait_for(7));
  BOOST_TEST(cancelled_fired.load() == 0);
  BOOST_TEST(count.fired == 7);
}

// A timer cancelled by a thread other than the one that armed it never fires; one that cancels
// itself from its own callback returns (it is not waited for); an earlier timer armed while the
// timer thread waits for a later one wakes it.
BOOST_AUTO_TEST_CASE(system_timers_cancelled_elsewhere_or_by_themselves_and_earlier_ones_wake_the_thread) {
  recourse::SystemClock clock;
  FiredCount count;
  std::atomic<bool> far_fired{false};
  const recourse::TimerId far = clock.schedule(clock.now() + 1h, [&] { far_fired = true; });
  std::jthread([&] { clock.cancel(far); }).join();
  std::atomic<recourse::TimerId> self{0};
  std::atomic<bool> self_armed{false};
  self = clock.schedule(clock.now() + 1ms, [&] {
    while (!self_armed.load()) std::this_thread::yield();  // until its id is stored
    clock.cancel(self.load());                              // its own, while it runs
    count.add();
  });
  self_armed = true;
  BOOST_TEST(count.wait_for(1));
  // The thread now waits for the 1 h timer at most; this one is due long before.
  clock.schedule(clock.now() + 1h, [] {});
  clock.schedule(clock.now() + 1ms, [&] { count.add(); });
  BOOST_TEST(count.wait_for(2));
  BOOST_TEST(!far_fired.load());
}

// cancel() of a timer whose callback is running returns only after the callback has.
BOOST_AUTO_TEST_CASE(cancelling_a_firing_system_timer_waits_for_its_callback) {
  recourse::SystemClock clock;
  std::atomic<bool> started{false}, release{false}, finished{false};
  const recourse::TimerId id = clock.schedule(clock.now(), [&] {
    started = true;
    while (!release.load()) std::this_thread::yield();
    finished = true;
  });
  while (!started.load()) std::this_thread::yield();
  std::atomic<bool> cancelling{false}, finished_when_cancel_returned{false};
  std::jthread canceller([&] {
    cancelling = true;
    clock.cancel(id);
    finished_when_cancel_returned = finished.load();
  });
  while (!cancelling.load()) std::this_thread::yield();
  release = true;
  canceller.join();
  BOOST_TEST(finished_when_cancel_returned.load());
}

// A thread that ends leaves its lane, its armed timer still pending: the timer fires, and the
// next threads take the lane over (or another) and their timers fire too.
BOOST_AUTO_TEST_CASE(a_lane_left_by_an_ended_thread_keeps_its_timers_and_serves_later_threads) {
  recourse::SystemClock clock;
  FiredCount count;
  std::jthread([&] { clock.schedule(clock.now() + 5ms, [&] { count.add(); }); }).join();
  for (int i = 0; i < 20; ++i) std::jthread([&] { clock.schedule(clock.now() + 1ms, [&] { count.add(); }); }).join();
  BOOST_TEST(count.wait_for(21));
}

// Two threads arm and cancel deadlines as calls do (each far off, cancelled at once), with a
// timer due now every 64th: each due one fires exactly once, no cancelled one ever. Under TSan
// this is the lanes' race test.
BOOST_AUTO_TEST_CASE(concurrent_arms_and_cancels_fire_exactly_the_timers_not_cancelled) {
  recourse::SystemClock clock;
  FiredCount count;
  std::atomic<int> cancelled_fired{0};
  constexpr int rounds = 20000, threads = 2;
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&] {
        for (int i = 0; i < rounds; ++i) {
          const recourse::TimerId id = clock.schedule(clock.now() + 1s, [&] { cancelled_fired.fetch_add(1); });
          if (i % 64 == 0) clock.schedule(clock.now(), [&] { count.add(); });
          clock.cancel(id);
        }
      });
  }
  const int due = threads * ((rounds + 63) / 64);
  BOOST_TEST(count.wait_for(due));
  clock.schedule(clock.now() + 2ms, [&] { count.add(); });
  BOOST_TEST(count.wait_for(due + 1));
  BOOST_TEST(count.fired == due + 1);
  BOOST_TEST(cancelled_fired.load() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
