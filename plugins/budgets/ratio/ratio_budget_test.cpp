// The ratio budget plugin, loaded from librecourse-ratio.so and driven in virtual time: retries
// as a percent of the calls started in a sliding window, plus min_per_second, with calls and
// retries leaving the window at exact instants; parameter validation, and the ratio held under
// many threads (run under TSan too). Shared scaffolding: tests/plugins/budget_test_helpers.hpp.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#include "budget_test_helpers.hpp"
#include "plugin_harness.hpp"

using namespace std::chrono_literals;
using budget_test_helpers::backend;
using budget_test_helpers::contains;
using budget_test_helpers::errors;
using budget_test_helpers::grants;
using budget_test_helpers::make;
using budget_test_helpers::on_threads;
using budget_test_helpers::record;
using budget_test_helpers::retry;
using budget_test_helpers::start_calls;
using budget_test_helpers::take;
using plugin_harness::Table;
using recourse::OutcomeKind;

BOOST_AUTO_TEST_SUITE(ratio_budget)

Table ratio(double percent, double min_per_second) {
  return backend("ratio").add("percent", percent).add("min_per_second", min_per_second);
}

BOOST_AUTO_TEST_CASE(min_per_second_allows_retries_with_no_calls) {
  recourse::VirtualClock clock;
  const auto b = make(ratio(0, 1), clock);  // 1/s over the default 10s window
  BOOST_TEST(grants(*b, 10) == 10);
  const auto d = b->acquire(retry());
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.reason == "budget_denied");
}

BOOST_AUTO_TEST_CASE(defaults_are_a_ten_second_window_and_ten_retries_a_second) {
  recourse::VirtualClock clock;
  const auto b = make(backend("ratio").add("percent", 0), clock);
  BOOST_TEST(grants(*b, 200) == 100);
}

BOOST_AUTO_TEST_CASE(a_retry_released_unused_is_not_counted) {
  recourse::VirtualClock clock;
  const auto b = make(ratio(0, 0.1), clock);  // one retry per 10 s window
  auto request = retry();
  const auto d = b->acquire(request);
  BOOST_REQUIRE(d.allowed);
  BOOST_TEST(!take(*b));
  request.unused = true;
  b->release(request, d.token);
  BOOST_TEST(take(*b));
  BOOST_TEST(!take(*b));
}

BOOST_AUTO_TEST_CASE(retries_are_a_percent_of_the_calls_started) {
  recourse::VirtualClock clock;
  const auto b = make(ratio(20, 0), clock);
  BOOST_TEST(!take(*b));
  start_calls(*b, 10);
  BOOST_TEST(grants(*b, 5) == 2);
  start_calls(*b, 5);
  BOOST_TEST(grants(*b, 5) == 1);  // 3 of 15
}

BOOST_AUTO_TEST_CASE(a_percent_above_100_allows_several_retries_per_call) {
  recourse::VirtualClock clock;
  const auto b = make(ratio(250, 0), clock);
  start_calls(*b, 2);
  BOOST_TEST(grants(*b, 10) == 5);
}

BOOST_AUTO_TEST_CASE(outcomes_are_not_calls) {
  recourse::VirtualClock clock;
  const auto b = make(ratio(100, 0), clock);
  record(*b, OutcomeKind::success, 5);
  record(*b, OutcomeKind::retryable, 5);
  BOOST_TEST(!take(*b));
}

BOOST_AUTO_TEST_CASE(calls_stop_counting_once_the_window_has_passed) {
  recourse::VirtualClock clock;
  const auto b = make(backend("ratio").add("percent", 100).add("min_per_second", 0).add("window", "10s"), clock);
  start_calls(*b, 2);
  BOOST_TEST(take(*b));
  clock.advance(9999ms);
  BOOST_TEST(take(*b));
  BOOST_TEST(!take(*b));
  clock.advance(1ms);  // t = 10s: the calls of t = 0 have left the window
  start_calls(*b, 1);
  BOOST_TEST(!take(*b));  // 1 call, and the retry of t = 9.999s still counts
}

BOOST_AUTO_TEST_CASE(retries_stop_counting_by_whole_buckets_of_a_tenth_of_the_window) {
  recourse::VirtualClock clock;
  const auto b = make(backend("ratio").add("percent", 0).add("min_per_second", 1).add("window", "10s"), clock);
  clock.advance(500ms);
  BOOST_TEST(grants(*b, 20) == 10);  // in the bucket [0s, 1s)
  clock.advance(9499ms);             // t = 9.999s
  BOOST_TEST(!take(*b));
  clock.advance(1ms);  // t = 10s: bucket [0s, 1s) is out, though 9.5s have passed since
  BOOST_TEST(grants(*b, 20) == 10);
}

BOOST_AUTO_TEST_CASE(a_short_window_scales_min_per_second) {
  recourse::VirtualClock clock;
  const auto b = make(backend("ratio").add("percent", 0).add("min_per_second", 10).add("window", "500ms"), clock);
  BOOST_TEST(grants(*b, 20) == 5);
  clock.advance(500ms);
  BOOST_TEST(grants(*b, 20) == 5);
}

BOOST_AUTO_TEST_CASE(a_reload_carries_the_window_over_to_new_settings) {
  recourse::VirtualClock clock;
  const auto old = make(ratio(10, 0), clock);
  start_calls(*old, 100);
  BOOST_TEST(grants(*old, 6) == 6);
  // Same window, a higher percent: 20 of the 100 calls, 6 already taken.
  const auto same_window = make(ratio(20, 0), clock);
  same_window->carry_from(*old);
  BOOST_TEST(*same_window->level() == 14.0);
  // Another window: the old totals count from now, for one new window.
  const auto longer = make(backend("ratio").add("percent", 20).add("min_per_second", 0).add("window", "20s"), clock);
  longer->carry_from(*old);
  BOOST_TEST(grants(*longer, 20) == 14);
  clock.advance(std::chrono::seconds(20));
  start_calls(*longer, 10);
  BOOST_TEST(grants(*longer, 5) == 2);  // only the 10 new calls count now
  // Another plugin's budget is not carried from.
  const auto fresh = make(ratio(20, 0), clock);
  fresh->carry_from(*make(backend("token_bucket").add("capacity", 5).add("refill_per_second", 1.0), clock));
  BOOST_TEST(*fresh->level() == 0.0);
}

BOOST_AUTO_TEST_CASE(bad_parameters_are_config_errors_naming_the_field) {
  struct Case {
    Table table;
    std::string_view expected;
  };
  const Case cases[]{
      {ratio(20, 10).add("windw", "10s"), "test.windw: unknown field \"windw\""},
      {backend("ratio").add("window", "10s"), "missing required field \"percent\""},
      {ratio(1001, 10), "test.percent: out of range"},
      {ratio(-1, 10), "test.percent: out of range"},
      {ratio(20, -1), "test.min_per_second: out of range"},
      {ratio(20, 10).add("window", "soon"), "test.window: invalid duration \"soon\""},
      {ratio(20, 10).add("window", 10), "test.window: expected a duration string"},
      {ratio(20, 10).add("window", "0s"), "test.window: must be at least 10ns"},
      {backend("ratio").add("percent", "20%"), "test.percent: expected a number"},
  };
  for (const Case& c : cases) BOOST_TEST(contains(errors(c.table), c.expected), errors(c.table));
}

BOOST_AUTO_TEST_CASE(concurrent_acquires_never_exceed_the_ratio) {
  recourse::VirtualClock clock;
  const auto b = make(ratio(10, 0), clock);
  std::atomic<int> granted{0};
  on_threads(4, [&](int) {
    for (int i = 0; i < 100; ++i) {
      b->call_started("payments.Charge", {});
      if (take(*b)) granted.fetch_add(1);
      record(*b, OutcomeKind::retryable);
    }
  });
  BOOST_TEST(granted.load() <= 40);
  BOOST_TEST(granted.load() + grants(*b, 100) == 40);  // 10% of 400 calls, every one counted
}

BOOST_AUTO_TEST_SUITE_END()
