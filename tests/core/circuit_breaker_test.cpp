// recourse.executor:circuit_breaker — states, windows, slow calls, probe permits — and the
// breaker inside the executor, including from many threads.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <thread>
#include <vector>

#include "executor_harness.hpp"

using namespace std::chrono_literals;
using recourse::CallVerdict;
using recourse::CircuitState;

namespace {

recourse::TimePoint at(recourse::Duration d) { return recourse::TimePoint{} + d; }

recourse::CircuitPolicy consecutive(int threshold) {
  recourse::CircuitPolicy p;
  p.enabled = true;
  p.threshold = threshold;
  p.cooldown = 1s;
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(circuit_breaker)

BOOST_AUTO_TEST_CASE(consecutive_failures_open_it_and_a_success_resets_the_count) {
  recourse::CircuitBreaker b(consecutive(3));
  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(0s));
  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(0s));
  b.finish(false, b.generation(), CallVerdict::success, 1ms, at(0s));
  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(0s));
  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(0s));
  BOOST_TEST((b.state() == CircuitState::closed));
  const auto t = b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(0s));
  BOOST_REQUIRE(t.has_value());
  BOOST_TEST((t->from == CircuitState::closed && t->to == CircuitState::open));
}

BOOST_AUTO_TEST_CASE(ignored_calls_do_not_count) {
  recourse::CircuitBreaker b(consecutive(1));
  for (int i = 0; i < 10; ++i) b.finish(false, b.generation(), CallVerdict::ignored, 1ms, at(0s));
  BOOST_TEST((b.state() == CircuitState::closed));
}

BOOST_AUTO_TEST_CASE(open_refuses_until_the_cooldown_then_admits_one_probe) {
  recourse::CircuitBreaker b(consecutive(1));
  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(0s));
  const auto early = b.admit(at(999ms));
  BOOST_TEST(!early.allowed);
  BOOST_TEST(early.reason == "circuit_open");
  const auto probe = b.admit(at(1s));
  BOOST_TEST(probe.allowed);
  BOOST_TEST(probe.probe);
  BOOST_REQUIRE(probe.transition.has_value());
  BOOST_TEST((probe.transition->to == CircuitState::half_open));
  const auto second = b.admit(at(1s));
  BOOST_TEST(!second.allowed);
  BOOST_TEST(second.reason == "circuit_half_open_probe_limit");
}

BOOST_AUTO_TEST_CASE(every_probe_must_succeed_to_close_and_one_failure_reopens) {
  auto policy = consecutive(1);
  policy.half_open_probes = 2;
  recourse::CircuitBreaker b(policy);
  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(0s));
  BOOST_TEST(b.admit(at(1s)).probe);
  BOOST_TEST(b.admit(at(1s)).probe);
  BOOST_TEST(!b.admit(at(1s)).allowed);
  BOOST_TEST(!b.finish(true, b.generation(), CallVerdict::success, 1ms, at(1s)).has_value());
  BOOST_TEST((b.state() == CircuitState::half_open));
  const auto closed = b.finish(true, b.generation(), CallVerdict::success, 1ms, at(1s));
  BOOST_REQUIRE(closed.has_value());
  BOOST_TEST((closed->to == CircuitState::closed));

  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(2s));
  BOOST_TEST(b.admit(at(3s)).probe);
  const auto reopened = b.finish(true, b.generation(), CallVerdict::failure, 1ms, at(3s));
  BOOST_REQUIRE(reopened.has_value());
  BOOST_TEST((reopened->to == CircuitState::open));
  BOOST_TEST(!b.admit(at(3s) + 999ms).allowed);  // the cooldown restarted at the probe's end
}

BOOST_AUTO_TEST_CASE(a_probe_from_an_earlier_half_open_period_decides_nothing) {
  auto policy = consecutive(1);
  policy.half_open_probes = 2;
  recourse::CircuitBreaker b(policy);
  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(0s));
  const auto a = b.admit(at(1s));
  const auto first_b = b.admit(at(1s));
  b.finish(true, first_b.generation, CallVerdict::failure, 1ms, at(1s));  // reopens
  const auto c = b.admit(at(2s));                                         // a new half-open period
  BOOST_TEST(c.probe);
  // A, from the old period, succeeds late: it must neither free a permit nor count as a success.
  BOOST_TEST(!b.finish(true, a.generation, CallVerdict::success, 1ms, at(2s)).has_value());
  BOOST_TEST(b.admit(at(2s)).probe);    // the second permit of this period
  BOOST_TEST(!b.admit(at(2s)).allowed);  // and no third
  BOOST_TEST((b.state() == CircuitState::half_open));
}

BOOST_AUTO_TEST_CASE(an_inconclusive_probe_returns_its_permit) {
  recourse::CircuitBreaker b(consecutive(1));
  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(0s));
  BOOST_TEST(b.admit(at(1s)).probe);
  b.finish(true, b.generation(), CallVerdict::ignored, 1ms, at(1s));
  BOOST_TEST((b.state() == CircuitState::half_open));
  BOOST_TEST(b.admit(at(1s)).allowed);  // the permit is free again
}

BOOST_AUTO_TEST_CASE(failure_rate_waits_for_minimum_calls) {
  recourse::CircuitPolicy p;
  p.enabled = true;
  p.kind = recourse::CircuitKind::failure_rate;
  p.window_size = 10;
  p.minimum_calls = 5;
  p.failure_rate_threshold = 50;
  recourse::CircuitBreaker b(p);
  for (int i = 0; i < 4; ++i) b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(0s));
  BOOST_TEST((b.state() == CircuitState::closed));  // 100% failures, but only 4 calls
  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(0s));
  BOOST_TEST((b.state() == CircuitState::open));
}

BOOST_AUTO_TEST_CASE(the_count_window_forgets_calls_that_slid_out) {
  recourse::CircuitPolicy p;
  p.enabled = true;
  p.kind = recourse::CircuitKind::failure_rate;
  p.window_size = 4;
  p.minimum_calls = 4;
  p.failure_rate_threshold = 75;
  recourse::CircuitBreaker b(p);
  for (auto v : {CallVerdict::failure, CallVerdict::failure, CallVerdict::success, CallVerdict::success,
                 CallVerdict::success, CallVerdict::failure, CallVerdict::failure})
    b.finish(false, b.generation(), v, 1ms, at(0s));
  BOOST_TEST((b.state() == CircuitState::closed));  // window: S S F F = 50%
  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(0s));   // window: S F F F = 75%
  BOOST_TEST((b.state() == CircuitState::open));
}

BOOST_AUTO_TEST_CASE(the_time_window_drops_old_calls) {
  recourse::CircuitPolicy p;
  p.enabled = true;
  p.kind = recourse::CircuitKind::failure_rate;
  p.window_type = recourse::WindowType::time;
  p.window_duration = 10s;
  p.minimum_calls = 3;
  p.failure_rate_threshold = 100;
  recourse::CircuitBreaker b(p);
  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(0s));
  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(1s));
  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(20s));  // the first two are out of the window
  BOOST_TEST((b.state() == CircuitState::closed));
  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(21s));
  b.finish(false, b.generation(), CallVerdict::failure, 1ms, at(22s));
  BOOST_TEST((b.state() == CircuitState::open));
}

BOOST_AUTO_TEST_CASE(slow_successful_calls_count_toward_the_slow_call_rate) {
  recourse::CircuitPolicy p;
  p.enabled = true;
  p.kind = recourse::CircuitKind::failure_rate;
  p.window_size = 4;
  p.minimum_calls = 4;
  p.slow_call_duration = 500ms;
  p.slow_call_rate_threshold = 50;
  recourse::CircuitBreaker b(p);
  b.finish(false, b.generation(), CallVerdict::success, 100ms, at(0s));
  b.finish(false, b.generation(), CallVerdict::success, 100ms, at(0s));
  b.finish(false, b.generation(), CallVerdict::success, 600ms, at(0s));
  BOOST_TEST((b.state() == CircuitState::closed));
  b.finish(false, b.generation(), CallVerdict::success, 501ms, at(0s));  // strictly slower
  BOOST_TEST((b.state() == CircuitState::open));
}

BOOST_AUTO_TEST_CASE(the_executor_reports_a_keys_breaker_state) {
  harness::Harness h;
  harness::set(h.table.exact["db.Query"], "circuit.enabled", true);
  harness::set(h.table.exact["db.Query"], "circuit.threshold", 1);
  harness::set(h.table.exact["db.Query"], "retry.max_attempts", 1);
  auto ex = h.make();
  BOOST_TEST(!ex->circuit_state("other.Key").has_value());
  BOOST_TEST((ex->circuit_state("db.Query") == std::optional(CircuitState::closed)));
  (void)ex->try_run("db.Query", [](const recourse::Attempt&) -> int { throw std::runtime_error("down"); });
  BOOST_TEST((ex->circuit_state("db.Query") == std::optional(CircuitState::open)));
  int calls = 0;
  const auto refused = ex->try_run("db.Query", [&](const recourse::Attempt&) { return ++calls; });
  BOOST_TEST(refused.error().reason == "circuit_open");
  BOOST_TEST(refused.error().attempts == 0);
  BOOST_TEST(calls == 0);
}

// Calls without a timeline or observer take the inline fast path; the breaker must count them
// exactly as the full loop does.
BOOST_AUTO_TEST_CASE(fast_path_calls_are_counted_like_any_other) {
  harness::Harness h;
  harness::set(h.table.exact["c.Consecutive"], "circuit.enabled", true);
  harness::set(h.table.exact["c.Consecutive"], "circuit.threshold", 2);
  harness::set(h.table.exact["c.Rate"], "circuit.enabled", true);
  harness::set(h.table.exact["c.Rate"], "circuit.kind", recourse::CircuitKind::failure_rate);
  harness::set(h.table.exact["c.Rate"], "circuit.window_size", 4);
  harness::set(h.table.exact["c.Rate"], "circuit.minimum_calls", 4);
  harness::set(h.table.defaults, "retry.max_attempts", 1);
  auto ex = h.make();
  const auto ok = [](const recourse::Attempt&) { return 1; };
  const auto down = [](const recourse::Attempt&) -> int { throw std::runtime_error("down"); };

  (void)ex->try_run("c.Consecutive", down);
  (void)ex->try_run("c.Consecutive", ok);  // resets the count, on the fast path
  (void)ex->try_run("c.Consecutive", down);
  BOOST_TEST((ex->circuit_state("c.Consecutive") == std::optional(CircuitState::closed)));
  (void)ex->try_run("c.Consecutive", down);
  BOOST_TEST((ex->circuit_state("c.Consecutive") == std::optional(CircuitState::open)));

  for (int i = 0; i < 2; ++i) (void)ex->try_run("c.Rate", ok);  // successes enter the window
  (void)ex->try_run("c.Rate", down);
  BOOST_TEST((ex->circuit_state("c.Rate") == std::optional(CircuitState::closed)));
  (void)ex->try_run("c.Rate", down);  // S S F F: 50%
  BOOST_TEST((ex->circuit_state("c.Rate") == std::optional(CircuitState::open)));
  int calls = 0;
  BOOST_TEST(ex->try_run("c.Rate", [&](const recourse::Attempt&) { return ++calls; }).error().reason == "circuit_open");
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(a_drained_retry_budget_does_not_blind_the_breaker) {
  // In an outage the budget denies retries by design; the attempt still failed at the
  // dependency, and the breaker must see it, or it never opens while the budget is empty.
  harness::Harness h;
  auto budget = std::make_shared<harness::CountingBudget>();
  budget->allow = false;
  (void)h.options.budgets.add("b", budget);
  harness::set(h.table.defaults, "retry.budget.name", std::string("b"));
  harness::set(h.table.defaults, "circuit.enabled", true);
  harness::set(h.table.defaults, "circuit.threshold", 3);
  auto ex = h.make();
  const auto down = [](const recourse::Attempt&) -> int { throw std::runtime_error("down"); };
  for (int i = 0; i < 3; ++i) BOOST_TEST(ex->try_run("a.b", down).error().reason == "budget_denied");
  BOOST_TEST((ex->circuit_state("a.b") == std::optional(CircuitState::open)));
  BOOST_TEST(ex->try_run("a.b", down).error().reason == "circuit_open");
}

BOOST_AUTO_TEST_CASE(calls_that_end_past_the_deadline_or_attempts_count_as_failures) {
  harness::Harness h;
  harness::set(h.table.defaults, "circuit.enabled", true);
  harness::set(h.table.defaults, "circuit.threshold", 2);
  harness::set(h.table.defaults, "retry.overall_timeout", recourse::Duration(15ms));
  auto ex = h.make();
  const auto down = [](const recourse::Attempt&) -> int { throw std::runtime_error("down"); };
  BOOST_TEST(ex->try_run("a.b", down).error().reason == "deadline_exceeded");  // 10 ms, then 20 ms > 15 ms
  BOOST_TEST((ex->circuit_state("a.b") == std::optional(CircuitState::closed)));
  BOOST_TEST(ex->try_run("a.b", down).error().reason == "deadline_exceeded");
  BOOST_TEST((ex->circuit_state("a.b") == std::optional(CircuitState::open)));
}

BOOST_AUTO_TEST_CASE(a_call_the_caller_cancelled_says_nothing_of_the_dependency) {
  harness::Harness h;
  harness::set(h.table.defaults, "circuit.enabled", true);
  harness::set(h.table.defaults, "circuit.threshold", 1);
  auto ex = h.make();
  std::stop_source caller;
  h.virtual_clock->schedule(h.virtual_clock->now() + 1ms, [&] { caller.request_stop(); });  // during the backoff
  const auto down = [](const recourse::Attempt&) -> int { throw std::runtime_error("down"); };
  BOOST_TEST(ex->try_run("a.b", down, {.stop = caller.get_token()}).error().reason == "cancelled");
  BOOST_TEST((ex->circuit_state("a.b") == std::optional(CircuitState::closed)));
}

BOOST_AUTO_TEST_CASE(probe_permits_never_leak_under_concurrency) {
  // Many threads, random outcomes, a breaker flapping open and half-open: afterwards it must
  // still admit a probe once the cooldown passes — a leaked permit would leave it stuck.
  harness::Harness h;  // a shared virtual clock: the ops never sleep, so threads only read it
  harness::set(h.table.defaults, "retry.max_attempts", 1);
  harness::set(h.table.defaults, "circuit.enabled", true);
  harness::set(h.table.defaults, "circuit.threshold", 2);
  harness::set(h.table.defaults, "circuit.cooldown", recourse::Duration(100ms));
  harness::set(h.table.defaults, "circuit.half_open_probes", 2);
  auto ex = h.make();
  std::atomic<int> outcomes{0};
  std::vector<std::jthread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        if (t == 0 && i % 10 == 0) h.virtual_clock->advance(40ms);  // cooldowns pass while calls race
        const bool fail = (i * 7 + t) % 3 != 0;
        (void)ex->try_run(i % 2 ? "k.A" : "k.B", [&](const recourse::Attempt&) -> int {
          if (fail) throw std::runtime_error("x");
          return 1;
        });
        ++outcomes;
      }
    });
  threads.clear();
  BOOST_TEST(outcomes.load() == 1200);
  h.virtual_clock->advance(150ms);  // past every cooldown, then probe successfully
  for (const char* key : {"k.A", "k.B"}) {
    for (int i = 0; i < 2; ++i) (void)ex->try_run(key, [](const recourse::Attempt&) { return 1; });
    BOOST_TEST((ex->circuit_state(key) == std::optional(CircuitState::closed)), key);
  }
}

BOOST_AUTO_TEST_SUITE_END()
