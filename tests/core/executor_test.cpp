// recourse.executor: the retry loop — classification, stop rules, backoff and jitter,
// Retry-After, timeouts, cancellation, failures, the timeline and events. Virtual time only.
#include <boost/test/unit_test.hpp>

#include <any>
#include <chrono>
#include <stop_token>
#include <tuple>
#include <atomic>
#include <expected>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "executor_harness.hpp"

using namespace std::chrono_literals;
using harness::Harness;
using harness::set;
using recourse::Attempt;

namespace shop {
// A user type with a protocol status, exposed through the customization point (no base class).
struct Response {
  int status;
  std::string body;
  std::optional<recourse::Duration> retry_after;
};
recourse::ProtocolStatus recourse_protocol_status(const Response& r) {
  return {.http_status = r.status, .http_method = "GET", .retry_after = r.retry_after};
}
}  // namespace shop

namespace {

// Fails `failures` times (throwing), then returns `value`.
auto flaky(int failures, int value, int& calls) {
  return [failures, value, &calls](const Attempt&) {
    if (calls++ < failures) throw std::runtime_error("boom");
    return value;
  };
}

std::vector<long long> sleeps_of(const recourse::Timeline& t) {
  std::vector<long long> out;
  for (std::size_t i = 1; i < t.attempts.size(); ++i) out.push_back(harness::ms(t.attempts[i].backoff_before));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(executor_retry_loop)

BOOST_AUTO_TEST_CASE(first_try_success_returns_the_value_after_one_attempt) {
  Harness h;
  auto ex = h.make();
  int calls = 0;
  recourse::Timeline t;
  const int v = ex->run("a.b", flaky(0, 42, calls), {.timeline = &t});
  BOOST_TEST(v == 42);
  BOOST_TEST(calls == 1);
  BOOST_TEST(t.attempts.size() == 1u);
  BOOST_TEST(t.final_reason == "success");
  BOOST_TEST(t.policy_id == "defaults");
}

BOOST_AUTO_TEST_CASE(retries_with_exponential_backoff_until_success) {
  Harness h;
  auto ex = h.make();
  int calls = 0;
  recourse::Timeline t;
  BOOST_TEST(ex->run("a.b", flaky(2, 7, calls), {.timeline = &t}) == 7);
  BOOST_TEST(calls == 3);
  BOOST_TEST(sleeps_of(t) == (std::vector<long long>{10, 20}), boost::test_tools::per_element());
  BOOST_TEST(h.ms() == 30);
  BOOST_TEST(t.attempts[0].reason == "retryable_error");
  BOOST_TEST(t.attempts[2].reason == "success");
}

BOOST_AUTO_TEST_CASE(attempts_are_bounded_and_the_last_failure_is_kept) {
  Harness h;
  auto ex = h.make();
  int calls = 0;
  const auto result = ex->try_run("a.b", flaky(99, 0, calls));
  BOOST_REQUIRE(!result.has_value());
  BOOST_TEST(result.error().reason == "max_attempts");
  BOOST_TEST(result.error().attempts == 3);
  BOOST_TEST(calls == 3);
  BOOST_TEST((result.error().kind == recourse::OutcomeKind::retryable));
  BOOST_REQUIRE(result.error().exception);
  BOOST_CHECK_THROW(std::rethrow_exception(result.error().exception), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(run_throws_a_recourse_error_with_reason_and_attempts) {
  Harness h;
  set(h.table.defaults, "retry.max_attempts", 2);
  auto ex = h.make();
  int calls = 0;
  try {
    ex->run("pay.Charge", flaky(99, 0, calls));
    BOOST_FAIL("run should have thrown");
  } catch (const recourse::Error& e) {
    BOOST_TEST(e.reason() == "max_attempts");
    BOOST_TEST(e.failure().attempts == 2);
    BOOST_TEST(std::string(e.what()) == "recourse: pay.Charge: max_attempts after 2 attempts");
  }
}

BOOST_AUTO_TEST_CASE(non_retryable_outcome_stops_at_once) {
  Harness h;
  set(h.table.defaults, "retry.classifier", std::string("never"));
  auto ex = h.make();
  int calls = 0;
  const auto result = ex->try_run("a.b", flaky(99, 0, calls));
  BOOST_TEST(result.error().reason == "non_retryable_error");
  BOOST_TEST(calls == 1);
  BOOST_TEST(h.ms() == 0);
}

BOOST_AUTO_TEST_CASE(expected_errors_are_failures_and_kept_as_values) {
  Harness h;
  auto ex = h.make();
  int calls = 0;
  const auto result = ex->try_run("a.b", [&](const Attempt&) -> std::expected<int, std::string> {
    ++calls;
    return std::unexpected("no stock " + std::to_string(calls));
  });
  BOOST_REQUIRE(!result.has_value());
  BOOST_TEST(calls == 3);
  BOOST_TEST(std::any_cast<std::string>(result.error().error_value) == "no stock 3");
}

BOOST_AUTO_TEST_CASE(error_code_operations_return_void_and_keep_the_code) {
  Harness h;
  auto ex = h.make();
  int calls = 0;
  auto op = [&](const Attempt&) {
    return ++calls < 2 ? std::make_error_code(std::errc::connection_refused) : std::error_code{};
  };
  static_assert(std::is_void_v<decltype(ex->run("a.b", op))>);
  ex->run("a.b", op);
  BOOST_TEST(calls == 2);
  const auto failed = ex->try_run("a.c", [](const Attempt&) { return std::make_error_code(std::errc::timed_out); });
  BOOST_TEST((failed.error().error == std::errc::timed_out));
}

BOOST_AUTO_TEST_CASE(values_expose_protocol_status_through_the_customization_point) {
  Harness h;
  auto ex = h.make();
  int calls = 0;
  recourse::Timeline t;
  const shop::Response r = ex->run(
      "a.b", [&](const Attempt&) { return shop::Response{++calls < 3 ? 503 : 200, "ok", std::nullopt}; },
      {.timeline = &t});
  BOOST_TEST(r.status == 200);
  BOOST_TEST(t.attempts[0].reason == "http_503");
}

BOOST_AUTO_TEST_CASE(retry_after_replaces_the_backoff_without_jitter) {
  Harness h;
  set(h.table.defaults, "retry.jitter", recourse::Jitter::full);
  auto ex = h.make();
  int calls = 0;
  recourse::Timeline t;
  ex->run(
      "a.b", [&](const Attempt&) { return shop::Response{++calls < 2 ? 429 : 200, "", recourse::Duration(1500ms)}; },
      {.timeline = &t});
  BOOST_TEST(sleeps_of(t) == (std::vector<long long>{1500}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(retry_after_is_capped_by_max_retry_after_not_max_backoff) {
  Harness h;
  set(h.table.defaults, "retry.max_retry_after", recourse::Duration(2s));
  auto ex = h.make();
  int calls = 0;
  recourse::Timeline t;
  ex->run("a.b", [&](const Attempt&) { return shop::Response{++calls < 2 ? 503 : 200, "", recourse::Duration(1min)}; },
          {.timeline = &t});
  BOOST_TEST(sleeps_of(t) == (std::vector<long long>{2000}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(retry_after_past_the_overall_deadline_ends_the_call_at_once) {
  Harness h;
  set(h.table.defaults, "retry.overall_timeout", recourse::Duration(1s));
  auto ex = h.make();
  int calls = 0;
  const auto result =
      ex->try_run("a.b", [&](const Attempt&) { return shop::Response{(++calls, 503), "", recourse::Duration(5s)}; });
  BOOST_TEST(result.error().reason == "retry_after_exceeds_deadline");
  BOOST_TEST(calls == 1);
  BOOST_TEST(h.ms() == 0);
}

BOOST_AUTO_TEST_CASE(backoff_is_capped_at_max_backoff) {
  Harness h;
  set(h.table.defaults, "retry.max_attempts", 6);
  set(h.table.defaults, "retry.max_backoff", recourse::Duration(50ms));
  auto ex = h.make();
  int calls = 0;
  recourse::Timeline t;
  (void)ex->try_run("a.b", flaky(99, 0, calls), {.timeline = &t});
  BOOST_TEST(sleeps_of(t) == (std::vector<long long>{10, 20, 40, 50, 50}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(constant_backoff_waits_the_same_each_time) {
  Harness h;
  set(h.table.defaults, "retry.backoff", std::string("constant"));
  set(h.table.defaults, "retry.initial_backoff", recourse::Duration(7ms));
  auto ex = h.make();
  int calls = 0;
  recourse::Timeline t;
  (void)ex->try_run("a.b", flaky(99, 0, calls), {.timeline = &t});
  BOOST_TEST(sleeps_of(t) == (std::vector<long long>{7, 7}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(executor_jitter)

struct JitterCase {
  recourse::Jitter jitter;
  std::vector<long long> sleeps;
};

BOOST_AUTO_TEST_CASE(jitter_follows_the_formulas_with_a_pinned_random_source) {
  // u = 0.5 throughout; base delays 10, 20, 40 ms.
  const std::vector<JitterCase> cases{
      {recourse::Jitter::none, {10, 20, 40}},
      {recourse::Jitter::full, {5, 10, 20}},    // u·b
      {recourse::Jitter::equal, {7, 15, 30}},   // b/2 + u·b/2 (7.5 ms truncates to 7)
      // initial + u·(3·prev − initial), prev starting at initial: 10+0.5·20, 10+0.5·50, 10+0.5·95
      {recourse::Jitter::decorrelated, {20, 35, 57}},
  };
  for (const auto& c : cases) {
    Harness h;
    set(h.table.defaults, "retry.max_attempts", 4);
    set(h.table.defaults, "retry.max_backoff", recourse::Duration(1s));
    set(h.table.defaults, "retry.jitter", c.jitter);
    auto ex = h.make();
    int calls = 0;
    recourse::Timeline t;
    (void)ex->try_run("a.b", flaky(99, 0, calls), {.timeline = &t});
    BOOST_TEST(sleeps_of(t) == c.sleeps, recourse::to_string(c.jitter) << boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(executor_deadlines)

BOOST_AUTO_TEST_CASE(per_attempt_timeout_stops_the_attempt_and_is_retryable) {
  Harness h;
  set(h.table.defaults, "retry.per_attempt_timeout", recourse::Duration(100ms));
  auto ex = h.make();
  int calls = 0;
  recourse::Timeline t;
  const auto result = ex->try_run(
      "a.b",
      [&](const Attempt& a) {
        ++calls;
        // Waits on the clock for 1 s, or until stopped: a well-behaved op.
        if (!h.virtual_clock->sleep_until(h.virtual_clock->now() + 1s, a.stop)) throw std::runtime_error("stopped");
        return 1;
      },
      {.timeline = &t});
  BOOST_TEST(result.error().reason == "max_attempts");
  BOOST_TEST(calls == 3);
  BOOST_TEST(t.attempts[0].reason == "deadline_exceeded");
  BOOST_TEST(!t.attempts[0].deadline_overrun);
  BOOST_TEST(harness::ms(t.attempts[0].end - t.attempts[0].start) == 100);
  BOOST_TEST(h.ms() == 100 + 10 + 100 + 20 + 100);
}

BOOST_AUTO_TEST_CASE(an_op_that_ignores_its_stop_token_is_marked_deadline_overrun) {
  Harness h;
  set(h.table.defaults, "retry.per_attempt_timeout", recourse::Duration(50ms));
  auto ex = h.make();
  recourse::Timeline t;
  const int v = ex->run(
      "a.b",
      [&](const Attempt&) {
        h.virtual_clock->advance(80ms);  // ignores the stop request at 50 ms
        return 5;
      },
      {.timeline = &t});
  BOOST_TEST(v == 5);  // classified as usual: a value is a success
  BOOST_TEST(t.attempts[0].deadline_overrun);
}

BOOST_AUTO_TEST_CASE(overall_timeout_ends_the_call_with_deadline_exceeded) {
  Harness h;
  set(h.table.defaults, "retry.overall_timeout", recourse::Duration(250ms));
  set(h.table.defaults, "retry.max_attempts", 10);
  auto ex = h.make();
  int calls = 0;
  const auto result = ex->try_run("a.b", [&](const Attempt& a) {
    ++calls;
    if (!h.virtual_clock->sleep_until(h.virtual_clock->now() + 100ms, a.stop)) throw std::runtime_error("stopped");
    throw std::runtime_error("failed");
    return 0;
  });
  BOOST_TEST(result.error().reason == "deadline_exceeded");
  // 0-100 fail, sleep 10, 110-210 fail, sleep 20, 230-250 stopped at the deadline.
  BOOST_TEST(calls == 3);
  BOOST_TEST(h.ms() == 250);
}

BOOST_AUTO_TEST_CASE(backoff_that_would_reach_the_deadline_ends_the_call_without_sleeping) {
  Harness h;
  set(h.table.defaults, "retry.overall_timeout", recourse::Duration(15ms));
  set(h.table.defaults, "retry.initial_backoff", recourse::Duration(20ms));
  auto ex = h.make();
  int calls = 0;
  const auto result = ex->try_run("a.b", flaky(99, 0, calls));
  BOOST_TEST(result.error().reason == "deadline_exceeded");
  BOOST_TEST(calls == 1);
  BOOST_TEST(h.ms() == 0);
}

BOOST_AUTO_TEST_CASE(the_attempt_sees_its_deadline) {
  Harness h;
  set(h.table.defaults, "retry.per_attempt_timeout", recourse::Duration(30ms));
  set(h.table.defaults, "retry.overall_timeout", recourse::Duration(20ms));
  auto ex = h.make();
  recourse::TimePoint seen{};
  ex->run("a.b", [&](const Attempt& a) {
    seen = a.deadline;
    return 0;
  });
  BOOST_TEST(harness::ms(seen.time_since_epoch()) == 20);  // the earlier of the two
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(executor_cancellation)

BOOST_AUTO_TEST_CASE(a_cancelled_caller_aborts_without_retrying) {
  Harness h;
  auto ex = h.make();
  std::stop_source caller;
  int calls = 0;
  const auto result = ex->try_run(
      "a.b",
      [&](const Attempt& a) {
        ++calls;
        caller.request_stop();
        BOOST_TEST(a.stop.stop_requested());
        throw std::runtime_error("interrupted");
        return 0;
      },
      {.stop = caller.get_token()});
  BOOST_TEST(result.error().reason == "cancelled");
  BOOST_TEST((result.error().kind == recourse::OutcomeKind::abort));
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(cancellation_wakes_a_backoff_sleep_at_once) {
  Harness h;
  set(h.table.defaults, "retry.initial_backoff", recourse::Duration(10s));
  set(h.table.defaults, "retry.max_backoff", recourse::Duration(10s));
  auto ex = h.make();
  std::stop_source caller;
  h.virtual_clock->schedule(h.virtual_clock->now() + 3s, [&] { caller.request_stop(); });
  int calls = 0;
  const auto result = ex->try_run("a.b", flaky(99, 0, calls), {.stop = caller.get_token()});
  BOOST_TEST(result.error().reason == "cancelled");
  BOOST_TEST(calls == 1);
  BOOST_TEST(h.ms() == 3000);
}

BOOST_AUTO_TEST_CASE(cancellation_reaches_a_timed_attempt_through_its_own_token) {
  Harness h;
  set(h.table.defaults, "retry.per_attempt_timeout", recourse::Duration(1s));
  auto ex = h.make();
  std::stop_source caller;
  h.virtual_clock->schedule(h.virtual_clock->now() + 200ms, [&] { caller.request_stop(); });
  const auto result = ex->try_run(
      "a.b",
      [&](const Attempt& a) {
        if (!h.virtual_clock->sleep_until(h.virtual_clock->now() + 10s, a.stop)) throw std::runtime_error("stopped");
        return 0;
      },
      {.stop = caller.get_token()});
  BOOST_TEST(result.error().reason == "cancelled");
  BOOST_TEST(h.ms() == 200);
}

BOOST_AUTO_TEST_SUITE_END()
