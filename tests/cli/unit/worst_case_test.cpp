// recourse.host.analysis:worst_case — the arithmetic of the most one call can cost, on
// hand-built policies so every term is known.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "config_fixture.hpp"

using namespace std::chrono_literals;
using recourse::Duration;
using recourse::Policy;
using recourse::host::TimeBound;
using recourse::host::worst_case;

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(worst_case_arithmetic)

BOOST_AUTO_TEST_CASE(the_built_in_policy_is_three_attempts_with_no_time_bound) {
  const auto w = worst_case(Policy{});
  BOOST_TEST(w.attempts == 3);
  BOOST_TEST(w.amplification == 3);
  BOOST_TEST((w.bound == TimeBound::unbounded));
  BOOST_TEST(!w.total_time.has_value());
  BOOST_TEST(contains(recourse::host::describe(w, Policy{}).total_time, "unbounded"));
}

BOOST_AUTO_TEST_CASE(hedges_multiply_the_attempts_only_while_hedging_is_on) {
  Policy p;
  p.retry.max_attempts = 4;
  p.hedge.max_hedges = 2;
  BOOST_TEST(worst_case(p).attempts == 4);
  p.hedge.enabled = true;
  const auto w = worst_case(p);
  BOOST_TEST(w.attempts == 12);  // 4 × (1 + 2)
  BOOST_TEST(w.amplification == 12);
  BOOST_TEST(w.hedges_per_group == 2);
  BOOST_TEST(recourse::host::describe(w, p).attempts == "12 = 4 attempt(s) × (1 + 2 hedge(s))");
}

BOOST_AUTO_TEST_CASE(attempts_and_waits_bound_the_call_without_an_overall_timeout) {
  Policy p;
  p.retry.max_attempts = 3;
  p.retry.per_attempt_timeout = 2s;
  p.retry.max_backoff = 250ms;
  p.retry.max_retry_after = 100ms;  // below max_backoff: the backoff cap is the wait
  const auto w = worst_case(p);
  BOOST_TEST((w.bound == TimeBound::attempts_and_waits));
  BOOST_TEST(*w.attempts_time == Duration(6s));
  BOOST_TEST(*w.waits_time == Duration(500ms));  // 2 waits × 250ms
  BOOST_TEST(*w.total_time == Duration(6500ms));
  BOOST_TEST(!w.waits_from_retry_after);
  const auto text = recourse::host::describe(w, p).total_time;
  BOOST_TEST(contains(text, "6500ms = 3 × 2s per-attempt timeout + 2 × 250ms retry.max_backoff wait"), text);
  BOOST_TEST(contains(text, "the attempts dominate"), text);
}

BOOST_AUTO_TEST_CASE(a_retry_after_cap_above_the_backoff_cap_is_the_wait_and_can_dominate) {
  Policy p;
  p.retry.max_attempts = 3;
  p.retry.per_attempt_timeout = 2s;  // max_retry_after stays at its 30s default
  const auto w = worst_case(p);
  BOOST_TEST(w.waits_from_retry_after);
  BOOST_TEST(*w.total_time == Duration(66s));  // 3 × 2s + 2 × 30s
  BOOST_TEST(contains(recourse::host::describe(w, p).total_time, "the waits dominate"));
}

BOOST_AUTO_TEST_CASE(the_overall_timeout_wins_when_it_is_shorter) {
  Policy p;
  p.retry.max_attempts = 2;
  p.retry.per_attempt_timeout = 2s;
  p.retry.overall_timeout = 5s;
  const auto w = worst_case(p);
  BOOST_TEST((w.bound == TimeBound::overall_timeout));
  BOOST_TEST(*w.total_time == Duration(5s));
  BOOST_TEST(*w.attempts_and_waits == Duration(34s));  // 2 × 2s + 1 × 30s, shown alongside
  BOOST_TEST(contains(recourse::host::describe(w, p).total_time, "5s: retry.overall_timeout ends the call first"));
}

BOOST_AUTO_TEST_CASE(attempts_and_waits_win_when_shorter_than_the_overall_timeout) {
  Policy p;
  p.retry.max_attempts = 2;
  p.retry.per_attempt_timeout = 100ms;
  p.retry.max_backoff = 50ms;
  p.retry.max_retry_after = 0s;
  p.retry.overall_timeout = 10s;
  const auto w = worst_case(p);
  BOOST_TEST((w.bound == TimeBound::attempts_and_waits));
  BOOST_TEST(*w.total_time == Duration(250ms));
  BOOST_TEST(contains(recourse::host::describe(w, p).total_time, "under the overall timeout 10s"));
}

BOOST_AUTO_TEST_CASE(only_an_overall_timeout_bounds_by_itself) {
  Policy p;
  p.retry.overall_timeout = 800ms;
  const auto w = worst_case(p);
  BOOST_TEST((w.bound == TimeBound::overall_timeout));
  BOOST_TEST(*w.total_time == Duration(800ms));
  BOOST_TEST(!w.attempts_time.has_value());
}

BOOST_AUTO_TEST_CASE(a_fixed_hedge_delay_lengthens_each_attempt_group) {
  Policy p;
  p.retry.max_attempts = 2;
  p.retry.per_attempt_timeout = 1s;
  p.retry.max_backoff = 100ms;
  p.retry.max_retry_after = 0s;
  p.hedge.enabled = true;
  p.hedge.max_hedges = 2;
  p.hedge.delay = 50ms;
  const auto w = worst_case(p);
  BOOST_TEST(*w.attempts_time == Duration(2200ms));  // 2 × (1s + 2 × 50ms)
  BOOST_TEST(*w.total_time == Duration(2300ms));     // + 1 × 100ms
  // A percentile trigger's delay is bounded by the per-attempt timeout instead.
  p.hedge.trigger = recourse::HedgeTriggerKind::p99;
  BOOST_TEST(*worst_case(p).attempts_time == Duration(6s));  // 2 × (1s + 2 × 1s)
}

BOOST_AUTO_TEST_CASE(huge_timeouts_saturate_instead_of_overflowing) {
  Policy p;
  p.retry.max_attempts = 10;
  p.retry.per_attempt_timeout = Duration::max() / 2;
  const auto w = worst_case(p);
  BOOST_TEST(*w.attempts_time == Duration::max());
  BOOST_TEST(*w.total_time == Duration::max());
  BOOST_TEST(w.total_time->count() > 0);
}

BOOST_AUTO_TEST_CASE(amplification_names_the_budgets_that_gate_retries_and_hedges) {
  Policy p;
  p.retry.budget = {"payments-retries", 2};
  p.hedge.enabled = true;
  p.hedge.max_hedges = 1;
  const auto text = recourse::host::describe(worst_case(p), p).amplification;
  BOOST_TEST(contains(text, "6x"), text);
  BOOST_TEST(contains(text, "retries ask budget \"payments-retries\" (cost 2 each)"), text);
  BOOST_TEST(contains(text, "no budget limits hedges"), text);
}

BOOST_AUTO_TEST_SUITE_END()
