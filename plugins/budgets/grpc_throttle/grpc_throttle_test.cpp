// The grpc_throttle budget plugin (gRFC A6 retry throttling), loaded from
// librecourse-grpc_throttle.so: tokens start at max_tokens, retryable failures and a pushback
// that says stop take one, successes give token_ratio back, retries stop at half of max;
// parameter validation, and every outcome counted under many threads (run under TSan too).
// Shared scaffolding: tests/plugins/budget_test_helpers.hpp.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <string_view>

#include "budget_test_helpers.hpp"
#include "plugin_harness.hpp"

using budget_test_helpers::backend;
using budget_test_helpers::contains;
using budget_test_helpers::errors;
using budget_test_helpers::grants;
using budget_test_helpers::make;
using budget_test_helpers::on_threads;
using budget_test_helpers::record;
using budget_test_helpers::retry;
using budget_test_helpers::take;
using plugin_harness::Table;
using recourse::OutcomeKind;

BOOST_AUTO_TEST_SUITE(grpc_throttle)

Table throttle(double max_tokens, double token_ratio) {
  return backend("grpc_throttle").add("max_tokens", max_tokens).add("token_ratio", token_ratio);
}

BOOST_AUTO_TEST_CASE(starts_at_max_tokens_and_allows_retries) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(10, 1), clock);
  const auto d = b->acquire(retry());
  BOOST_TEST(d.allowed);
  BOOST_TEST(d.reason == "allowed");
}

BOOST_AUTO_TEST_CASE(failures_stop_retries_once_tokens_fall_to_half_of_max) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(10, 1), clock);
  record(*b, OutcomeKind::retryable, 4);
  BOOST_TEST(take(*b));  // 6 > 5
  record(*b, OutcomeKind::retryable);
  const auto d = b->acquire(retry());  // 5 is not above half
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.reason == "budget_denied");
}

BOOST_AUTO_TEST_CASE(each_success_gives_back_token_ratio) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(10, 0.1), clock);
  record(*b, OutcomeKind::retryable, 5);
  BOOST_TEST(!take(*b));  // 5.0
  record(*b, OutcomeKind::success);
  BOOST_TEST(take(*b));  // 5.1
  record(*b, OutcomeKind::retryable);
  record(*b, OutcomeKind::success, 9);
  BOOST_TEST(!take(*b));  // 4.1 + 0.9 = 5.0, exactly: tokens are thousandths
  record(*b, OutcomeKind::success);
  BOOST_TEST(take(*b));
}

BOOST_AUTO_TEST_CASE(tokens_never_rise_above_max_tokens) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(10, 1), clock);
  record(*b, OutcomeKind::success, 100);
  record(*b, OutcomeKind::retryable, 5);
  BOOST_TEST(!take(*b));
}

BOOST_AUTO_TEST_CASE(tokens_never_fall_below_zero) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(10, 1), clock);
  record(*b, OutcomeKind::retryable, 100);
  record(*b, OutcomeKind::success, 6);
  BOOST_TEST(take(*b));
}

BOOST_AUTO_TEST_CASE(only_retryable_failures_count_as_gRFC_A6_says) {
  // Clients sending INVALID_ARGUMENT must not switch retries off for everyone sharing the
  // throttle: non-retryable failures, aborts and unknown outcomes say nothing of server load.
  recourse::VirtualClock clock;
  const auto b = make(throttle(10, 1), clock);
  record(*b, OutcomeKind::retryable, 4);
  record(*b, OutcomeKind::non_retryable, 100);
  record(*b, OutcomeKind::abort, 100);
  record(*b, OutcomeKind::unknown, 100);
  BOOST_TEST(take(*b));  // still 6
  record(*b, OutcomeKind::retryable);
  BOOST_TEST(!take(*b));  // 5
}

BOOST_AUTO_TEST_CASE(a_pushback_that_says_stop_counts_as_a_failure) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(10, 1), clock);
  const recourse::Outcome stop{OutcomeKind::non_retryable, recourse::reason::grpc_pushback_stop, std::nullopt};
  const recourse::Outcome invalid{OutcomeKind::non_retryable, "grpc_invalid_argument", std::nullopt};
  for (int i = 0; i < 4; ++i) b->record("k", stop, clock.now());
  for (int i = 0; i < 50; ++i) b->record("k", invalid, clock.now());
  BOOST_TEST(take(*b));  // 6
  b->record("k", stop, clock.now());
  BOOST_TEST(!take(*b));  // 5
}

BOOST_AUTO_TEST_CASE(asking_spends_nothing) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(2, 1), clock);
  BOOST_TEST(grants(*b, 1000) == 1000);
  record(*b, OutcomeKind::retryable);
  BOOST_TEST(!take(*b));  // 1 of 2: at half
}

BOOST_AUTO_TEST_CASE(a_reload_carries_the_tokens_clamped_to_the_new_maximum) {
  recourse::VirtualClock clock;
  const auto old = make(throttle(10, 1), clock);
  record(*old, OutcomeKind::retryable, 3);  // 7 tokens
  const auto bigger = make(throttle(20, 1), clock);
  bigger->carry_from(*old);
  BOOST_TEST(*bigger->level() == 7.0);  // 7 of 20: not above half, throttled as before the reload
  BOOST_TEST(!take(*bigger));
  const auto smaller = make(throttle(4, 1), clock);
  smaller->carry_from(*old);
  BOOST_TEST(*smaller->level() == 4.0);
}

BOOST_AUTO_TEST_CASE(bad_parameters_are_config_errors_naming_the_field) {
  struct Case {
    Table table;
    std::string_view expected;
  };
  const Case cases[]{
      {throttle(10, 1).add("max_token", 5), "test.max_token: unknown field \"max_token\""},
      {backend("grpc_throttle").add("token_ratio", 0.1), "missing required field \"max_tokens\""},
      {backend("grpc_throttle").add("max_tokens", 10), "missing required field \"token_ratio\""},
      {throttle(0, 1), "test.max_tokens: must be at least 0.001"},
      {throttle(10, 0.0001), "test.token_ratio: must be at least 0.001"},
      {throttle(10, -1), "test.token_ratio: out of range"},
      {backend("grpc_throttle").add("max_tokens", "ten").add("token_ratio", 1), "test.max_tokens: expected a number"},
  };
  for (const Case& c : cases) BOOST_TEST(contains(errors(c.table), c.expected), errors(c.table));
}

BOOST_AUTO_TEST_CASE(integer_parameters_are_accepted) {
  recourse::VirtualClock clock;
  const auto b = make(backend("grpc_throttle").add("max_tokens", 4).add("token_ratio", 1), clock);
  record(*b, OutcomeKind::retryable);
  BOOST_TEST(take(*b));  // 3 > 2
  record(*b, OutcomeKind::retryable);
  BOOST_TEST(!take(*b));
}

BOOST_AUTO_TEST_CASE(concurrent_outcomes_are_all_counted) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(1000, 1), clock);
  std::atomic<int> denied{0};
  // 400 failures from four threads while they also ask: a lost update would leave more tokens.
  on_threads(4, [&](int) {
    for (int i = 0; i < 100; ++i) {
      record(*b, OutcomeKind::retryable);
      record(*b, OutcomeKind::abort);
      if (!take(*b)) denied.fetch_add(1);
    }
  });
  BOOST_TEST(denied.load() == 0);  // never down to 500 on the way
  BOOST_TEST(take(*b));              // 600
  on_threads(4, [&](int) { record(*b, OutcomeKind::retryable, 25); });
  BOOST_TEST(!take(*b));  // exactly 500
  record(*b, OutcomeKind::success);
  BOOST_TEST(take(*b));  // 501
}

BOOST_AUTO_TEST_SUITE_END()
