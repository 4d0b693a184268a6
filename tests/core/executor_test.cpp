// recourse.executor: the retry loop — classification, stop rules, backoff and jitter,
// Retry-After, timeouts, cancellation, failures, the timeline and events. Virtual time only.
#include <boost/test/unit_test.hpp>

#include <any>
#include <chrono>
#include <stop_token>
#include <tuple>
#include <atomic>
#include <expected>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
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
// A response that can only be moved (a streamed body).
struct Stream {
  int status;
  std::unique_ptr<std::string> body;
};
recourse::ProtocolStatus recourse_protocol_status(const Stream& s) {
  return {.http_status = s.status, .http_method = "GET"};
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

// Attempt numbers run 0, 1, 2 whichever way the call began: attempt 0 on the inline fast path
// (plain policy), or in the full loop (a timeout, a timeline), and with the key warm or cold.
BOOST_AUTO_TEST_CASE(attempt_indexes_count_up_from_zero_after_a_first_attempt_on_either_path) {
  Harness h;
  set(h.table.exact["svc.Timed"], "retry.per_attempt_timeout", recourse::Duration(1s));
  auto ex = h.make();
  for (const char* key : {"svc.Plain", "svc.Plain", "svc.Timed", "svc.Timed"}) {
    for (const bool with_timeline : {false, true}) {
      std::vector<int> indexes, retry_indexes;
      recourse::Timeline t;
      const auto result = ex->try_run(key,
                                      [&](const Attempt& a) -> std::expected<int, std::error_code> {
                                        indexes.push_back(a.index);
                                        retry_indexes.push_back(a.retry_index);
                                        if (indexes.size() < 3)
                                          return std::unexpected(std::make_error_code(std::errc::io_error));
                                        return 7;
                                      },
                                      {.timeline = with_timeline ? &t : nullptr});
      BOOST_TEST(result.has_value(), key << (with_timeline ? " with a timeline" : "") << ": "
                                         << (result ? "" : result.error().reason) << " after " << indexes.size());
      BOOST_TEST(indexes == (std::vector<int>{0, 1, 2}), key << (with_timeline ? " with a timeline" : ""));
      BOOST_TEST(retry_indexes == (std::vector<int>{0, 1, 2}), key << (with_timeline ? " with a timeline" : ""));
    }
  }
}

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

BOOST_AUTO_TEST_CASE(a_failed_call_keeps_the_last_response_it_got) {
  // Every attempt answered 503 with a body: the service must be able to pass that answer on.
  Harness h;
  auto ex = h.make();
  int calls = 0;
  const auto result = ex->try_run("a.b", [&](const Attempt&) {
    return shop::Response{503, "busy " + std::to_string(++calls), std::nullopt};
  });
  BOOST_REQUIRE(!result.has_value());
  const shop::Response* last = recourse::last_value<shop::Response>(result.error());
  BOOST_REQUIRE(last != nullptr);
  BOOST_TEST(last->status == 503);
  BOOST_TEST(last->body == "busy 3");
  BOOST_TEST(recourse::last_value<int>(result.error()) == nullptr);  // not a T: null, no throw
}

BOOST_AUTO_TEST_CASE(a_move_only_failed_value_is_kept_behind_a_shared_pointer) {
  Harness h;
  set(h.table.defaults, "retry.max_attempts", 2);
  auto ex = h.make();
  const auto result = ex->try_run("a.b", [&](const Attempt&) {
    return shop::Stream{502, std::make_unique<std::string>("bad gateway")};
  });
  BOOST_REQUIRE(!result.has_value());
  const shop::Stream* last = recourse::last_value<shop::Stream>(result.error());
  BOOST_REQUIRE(last != nullptr);
  BOOST_TEST(last->status == 502);
  BOOST_TEST(*last->body == "bad gateway");
}

BOOST_AUTO_TEST_CASE(the_kept_value_is_the_last_attempts_not_an_older_one) {
  Harness h;
  auto ex = h.make();
  int calls = 0;
  const auto result = ex->try_run("a.b", [&](const Attempt&) {
    if (++calls < 3) return shop::Response{503, "busy", std::nullopt};
    throw std::runtime_error("connection reset");
  });
  BOOST_REQUIRE(!result.has_value());
  BOOST_TEST(recourse::last_value<shop::Response>(result.error()) == nullptr);
  BOOST_TEST(static_cast<bool>(result.error().exception));
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

BOOST_AUTO_TEST_CASE(a_delay_above_the_cap_is_capped_first_and_then_jittered) {
  // Base delays 100 ms, 1 s against a 100 ms cap: capping after jitter would sleep exactly
  // 100 ms for the second (synchronized retries); capping first jitters within the cap.
  for (const auto& [jitter, expected] : std::vector<std::pair<recourse::Jitter, long long>>{
           {recourse::Jitter::full, 50}, {recourse::Jitter::equal, 75}, {recourse::Jitter::decorrelated, 100}}) {
    Harness h;
    h.options.random = std::make_shared<recourse::FixedRandom>(0.5);
    set(h.table.defaults, "retry.max_attempts", 3);
    set(h.table.defaults, "retry.initial_backoff", recourse::Duration(100ms));
    set(h.table.defaults, "retry.multiplier", 10.0);
    set(h.table.defaults, "retry.max_backoff", recourse::Duration(100ms));
    set(h.table.defaults, "retry.jitter", jitter);
    auto ex = h.make();
    int calls = 0;
    recourse::Timeline t;
    (void)ex->try_run("a.b", flaky(99, 0, calls), {.timeline = &t});
    // decorrelated: low (the initial delay) and high (3 × the last) both capped at 100 ms.
    BOOST_TEST(sleeps_of(t) == std::vector<long long>(2, expected), recourse::to_string(jitter)
                                                                           << boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(a_random_source_answering_outside_the_unit_interval_gives_a_delay_in_range) {
  // full and equal: a draw outside [0, 1) is no delay or the cap. decorrelated: the delay stays
  // within its own range, [initial_backoff, min(3 × previous, max_backoff)].
  for (const auto jitter : {recourse::Jitter::full, recourse::Jitter::equal, recourse::Jitter::decorrelated})
    for (const double u : {std::numeric_limits<double>::quiet_NaN(), -1.0, 1e300}) {
      Harness h;
      struct Broken final : recourse::RandomSource {
        double u;
        explicit Broken(double value) : u(value) {}
        double next_unit() noexcept override { return u; }
      };
      h.options.random = std::make_shared<Broken>(u);
      set(h.table.defaults, "retry.jitter", jitter);
      auto ex = h.make();
      int calls = 0;
      recourse::Timeline t;
      (void)ex->try_run("a.b", flaky(99, 0, calls), {.timeline = &t});
      const long long low = jitter == recourse::Jitter::decorrelated ? 10 : 0;  // the default initial_backoff
      for (long long slept : sleeps_of(t))
        BOOST_TEST((slept >= low && slept <= 250), recourse::to_string(jitter) << " " << u);
    }
}

BOOST_AUTO_TEST_CASE(decorrelated_jitter_stays_random_when_three_times_the_last_delay_passes_the_cap) {
  Harness h;
  h.options.random = std::make_shared<recourse::FixedRandom>(0.5);
  set(h.table.defaults, "retry.max_attempts", 4);
  set(h.table.defaults, "retry.initial_backoff", recourse::Duration(10ms));
  set(h.table.defaults, "retry.max_backoff", recourse::Duration(40ms));
  set(h.table.defaults, "retry.jitter", recourse::Jitter::decorrelated);
  auto ex = h.make();
  int calls = 0;
  recourse::Timeline t;
  (void)ex->try_run("a.b", flaky(99, 0, calls), {.timeline = &t});
  // 10 + 0.5·(30 − 10) = 20; then high = min(60, 40): 10 + 0.5·30 = 25; then min(75, 40): 25.
  BOOST_TEST(sleeps_of(t) == (std::vector<long long>{20, 25, 25}), boost::test_tools::per_element());
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

// An attempt's stop state is recycled on its thread while no one stopped it
// (attempt_control.cpp); a stopped one — by its deadline, or by the caller — never is, so every
// attempt starts unstopped.
BOOST_AUTO_TEST_CASE(every_attempt_starts_unstopped_after_one_was_stopped) {
  Harness h;
  set(h.table.defaults, "retry.per_attempt_timeout", recourse::Duration(50ms));
  set(h.table.defaults, "retry.max_attempts", 2);
  auto ex = h.make();
  std::vector<bool> stopped_at_start;
  const auto times_out_first = [&](const Attempt& a) {
    stopped_at_start.push_back(a.stop.stop_requested());
    if (a.index == 0 && !h.virtual_clock->sleep_until(h.virtual_clock->now() + 1s, a.stop))
      throw std::runtime_error("stopped");
    return 1;
  };
  BOOST_TEST(ex->run("a.b", times_out_first) == 1);  // attempt 0 stopped by its deadline
  BOOST_TEST(ex->run("a.b", times_out_first) == 1);
  std::stop_source caller;
  const auto cancelled = ex->try_run("a.b",
                                     [&](const Attempt& a) {
                                       stopped_at_start.push_back(a.stop.stop_requested());
                                       caller.request_stop();  // forwarded into the attempt's source
                                       if (a.stop.stop_requested()) throw std::runtime_error("cancelled");
                                       return 1;
                                     },
                                     {.stop = caller.get_token()});
  BOOST_TEST(cancelled.error().reason == recourse::reason::cancelled);
  BOOST_TEST(ex->run("a.b", [&](const Attempt& a) {
    stopped_at_start.push_back(a.stop.stop_requested());
    return 1;
  }) == 1);
  BOOST_TEST((stopped_at_start == std::vector<bool>{false, false, false, false, false, false}));
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

// The same without a timeline: a timed policy's attempt 0 runs on its own fast path, and a
// value that comes back after its deadline (and after the overall one) is still the call's
// value, returned once, the operation never run again.
BOOST_AUTO_TEST_CASE(a_late_value_on_the_timed_fast_path_is_the_result_and_is_not_run_again) {
  Harness h;
  set(h.table.exact["svc.Late"], "retry.per_attempt_timeout", recourse::Duration(50ms));
  set(h.table.exact["svc.LateOverall"], "retry.per_attempt_timeout", recourse::Duration(50ms));
  set(h.table.exact["svc.LateOverall"], "retry.overall_timeout", recourse::Duration(60ms));
  auto ex = h.make();
  for (const char* key : {"svc.Late", "svc.Late", "svc.LateOverall", "svc.LateOverall"}) {
    int runs = 0;
    const auto result = ex->try_run(key, [&](const Attempt& a) {
      ++runs;
      BOOST_TEST((a.deadline != recourse::TimePoint::max()));
      h.virtual_clock->advance(80ms);  // ignores the stop request at 50 ms
      return 5;
    });
    BOOST_TEST(result.has_value(), key << ": " << (result ? "" : result.error().reason));
    BOOST_TEST(runs == 1, key);
  }
}

BOOST_AUTO_TEST_CASE(an_op_that_stops_when_told_is_not_marked_overrun_however_late_the_clock_woke_it) {
  // Virtual time: the stop request goes out at 50 ms and the op returns at that instant.
  Harness h;
  set(h.table.defaults, "retry.per_attempt_timeout", recourse::Duration(50ms));
  set(h.table.defaults, "retry.max_attempts", 1);
  auto ex = h.make();
  recourse::Timeline t;
  (void)ex->try_run(
      "a.b",
      [&](const Attempt& a) -> int {
        h.virtual_clock->sleep_until(recourse::TimePoint::max(), a.stop);
        throw std::runtime_error("stopped");
      },
      {.timeline = &t});
  BOOST_REQUIRE(t.attempts.size() == 1u);
  BOOST_TEST(t.attempts[0].reason == "deadline_exceeded");
  BOOST_TEST(!t.attempts[0].deadline_overrun);
}

BOOST_AUTO_TEST_CASE(deadline_overrun_tells_a_stubborn_op_from_a_prompt_one_on_the_real_clock) {
  // On a real clock every timed-out attempt returns a little after its deadline; only one that
  // ignores its stop token for longer than the grace is an overrun.
  recourse::PolicyTable table;
  harness::set(table.defaults, "retry.per_attempt_timeout", recourse::Duration(20ms));
  harness::set(table.defaults, "retry.max_attempts", 1);
  table.defaults.where = {"test", 1, 1};
  recourse::ExecutorOptions options;
  options.provider = std::make_shared<recourse::StaticPolicyProvider>(table);
  recourse::Executor ex(std::move(options));  // SystemClock
  recourse::Timeline prompt, stubborn;
  (void)ex.try_run(
      "a.b",
      [](const Attempt& a) -> int {
        std::mutex m;
        std::condition_variable_any woken;
        std::unique_lock lock(m);
        woken.wait(lock, a.stop, [] { return false; });  // returns as soon as stop is requested
        throw std::runtime_error("stopped");
      },
      {.timeline = &prompt});
  (void)ex.try_run(
      "a.b",
      [](const Attempt&) -> int {
        std::this_thread::sleep_for(300ms);  // the op under test ignores its token
        throw std::runtime_error("late");
      },
      {.timeline = &stubborn});
  BOOST_REQUIRE(prompt.attempts.size() == 1u);
  BOOST_REQUIRE(stubborn.attempts.size() == 1u);
  BOOST_TEST(prompt.attempts[0].reason == "deadline_exceeded");
  BOOST_TEST(!prompt.attempts[0].deadline_overrun);
  BOOST_TEST(stubborn.attempts[0].deadline_overrun);
}

BOOST_AUTO_TEST_CASE(a_timeout_near_durations_range_does_not_wrap_around_the_clock) {
  // 2562047h is just under Duration's range: added to a clock reading past ~47 minutes it used
  // to overflow into the past and end the call (or every attempt) at once.
  for (const char* field : {"retry.overall_timeout", "retry.per_attempt_timeout"}) {
    Harness h;
    h.virtual_clock->advance(1h);
    set(h.table.defaults, field, recourse::Duration(std::chrono::hours(2562047)));
    auto ex = h.make();
    int calls = 0;
    recourse::Timeline t;
    const auto result = ex->try_run("a.b", flaky(99, 0, calls), {.timeline = &t});
    BOOST_TEST(result.error().reason == "max_attempts", field);
    BOOST_TEST(calls == 3, field);
    for (const auto& a : t.attempts) BOOST_TEST(a.reason == "retryable_error", field);
  }
}

BOOST_AUTO_TEST_CASE(saturating_time_arithmetic) {
  using recourse::TimePoint;
  const TimePoint late = TimePoint{} + 10h;
  BOOST_TEST((recourse::saturating_add(late, recourse::Duration::max()) == TimePoint::max()));
  BOOST_TEST((recourse::saturating_add(late, 1s) == late + 1s));
  BOOST_TEST((recourse::saturating_sub(late, recourse::Duration::max()) == late - recourse::Duration::max()));
  BOOST_TEST((recourse::saturating_sub(TimePoint{} - 10h, recourse::Duration::max()) == TimePoint::min()));
  BOOST_TEST((recourse::saturating_sub(late, recourse::Duration::min()) == TimePoint::max()));
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

BOOST_AUTO_TEST_CASE(a_caller_cancelled_before_the_call_gets_no_attempt_at_all) {
  // Polly and the Go library make zero calls; so do we, on the fast path and off it.
  for (const bool observed : {false, true}) {
    Harness h;
    auto log = std::make_shared<harness::EventLog>();
    if (observed) h.options.observers.push_back(log);
    auto ex = h.make();
    std::stop_source caller;
    caller.request_stop();
    int calls = 0;
    const auto result = ex->try_run("a.b", [&](const Attempt&) { return ++calls; }, {.stop = caller.get_token()});
    BOOST_REQUIRE(!result.has_value());
    BOOST_TEST(result.error().reason == "cancelled");
    BOOST_TEST(result.error().attempts == 0);
    BOOST_TEST(calls == 0);
    if (observed) BOOST_TEST(log->events() == (std::vector<std::string>{"start", "failure:cancelled"}),
                             boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(a_call_cancelled_before_it_began_takes_no_half_open_probe) {
  Harness h;
  set(h.table.defaults, "circuit.enabled", true);
  set(h.table.defaults, "circuit.threshold", 1);
  set(h.table.defaults, "circuit.cooldown", recourse::Duration(1s));
  set(h.table.defaults, "retry.max_attempts", 1);
  auto ex = h.make();
  (void)ex->try_run("a.b", [](const Attempt&) -> int { throw std::runtime_error("down"); });
  h.virtual_clock->advance(2s);  // cooldown over: the next call is the probe
  std::stop_source caller;
  caller.request_stop();
  (void)ex->try_run("a.b", [](const Attempt&) { return 1; }, {.stop = caller.get_token()});
  int calls = 0;
  BOOST_TEST(ex->try_run("a.b", [&](const Attempt&) { return ++calls; }).has_value());  // the permit was free
  BOOST_TEST(calls == 1);
  BOOST_TEST((ex->circuit_state("a.b") == std::optional(recourse::CircuitState::closed)));
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
