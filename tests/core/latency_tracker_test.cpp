// recourse.executor:latency_tracker — percentiles of recent successful attempt latencies.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

import recourse.core;

using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(latency_tracker)

BOOST_AUTO_TEST_CASE(too_few_samples_answer_nothing) {
  recourse::LatencyTracker tracker(5);
  for (int i = 0; i < 4; ++i) tracker.record(10ms);
  BOOST_TEST(!tracker.percentile(95).has_value());
  tracker.record(10ms);
  BOOST_TEST(tracker.percentile(95).has_value());
}

BOOST_AUTO_TEST_CASE(percentiles_use_the_nearest_rank) {
  recourse::LatencyTracker tracker(1);
  for (int ms = 100; ms >= 1; --ms) tracker.record(std::chrono::milliseconds(ms));  // 1..100 ms, any order
  BOOST_TEST(tracker.percentile(50)->count() == recourse::Duration(50ms).count());
  BOOST_TEST(tracker.percentile(95)->count() == recourse::Duration(95ms).count());
  BOOST_TEST(tracker.percentile(99)->count() == recourse::Duration(99ms).count());
  BOOST_TEST(tracker.percentile(100)->count() == recourse::Duration(100ms).count());
  BOOST_TEST(!tracker.percentile(0).has_value());
  BOOST_TEST(!tracker.percentile(101).has_value());
}

BOOST_AUTO_TEST_CASE(only_the_most_recent_samples_count) {
  recourse::LatencyTracker tracker(1);
  for (std::size_t i = 0; i < recourse::LatencyTracker::capacity; ++i) tracker.record(1s);
  for (std::size_t i = 0; i < recourse::LatencyTracker::capacity; ++i) tracker.record(5ms);
  BOOST_TEST(tracker.samples() == recourse::LatencyTracker::capacity);
  BOOST_TEST(tracker.percentile(100)->count() == recourse::Duration(5ms).count());
}

BOOST_AUTO_TEST_CASE(concurrent_recording_keeps_every_value_in_range) {
  recourse::LatencyTracker tracker(1);
  std::vector<std::jthread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&tracker, t] {
      for (int i = 0; i < 5000; ++i) tracker.record(std::chrono::milliseconds(1 + (i + t) % 10));
    });
  threads.clear();
  BOOST_TEST(tracker.samples() == recourse::LatencyTracker::capacity);
  BOOST_TEST(tracker.percentile(100)->count() <= recourse::Duration(10ms).count());
  BOOST_TEST(tracker.percentile(1)->count() >= recourse::Duration(1ms).count());
}

BOOST_AUTO_TEST_SUITE_END()
