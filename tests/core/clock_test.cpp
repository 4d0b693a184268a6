// The clocks: VirtualClock's timers fire in time order during sleeps and never after cancel;
// SystemClock's timer thread fires due timers and cancel() keeps its promise.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <stdexcept>
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

BOOST_AUTO_TEST_SUITE_END()
