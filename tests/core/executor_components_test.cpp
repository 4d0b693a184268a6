// recourse.executor: budgets, classifiers, backoff strategies and observers as the loop uses
// them — including every way they can fail — and the missing-component modes.
#include <boost/test/unit_test.hpp>

#include <any>
#include <chrono>
#include <stop_token>
#include <tuple>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "executor_harness.hpp"

using namespace std::chrono_literals;
using harness::CountingBudget;
using harness::EventLog;
using harness::Harness;
using harness::set;
using recourse::Attempt;
using recourse::CircuitState;

namespace {

auto always_fails(int& calls) {
  return [&calls](const Attempt&) -> int {
    ++calls;
    throw std::runtime_error("down");
  };
}

class ThrowingClassifier : public recourse::Classifier {
 public:
  recourse::Outcome classify(const recourse::AttemptView&) const override { throw std::logic_error("bug"); }
};

class UnknownClassifier : public recourse::Classifier {
 public:
  recourse::Outcome classify(const recourse::AttemptView&) const override { return {}; }
};

class ThrowingBackoff : public recourse::BackoffStrategy {
 public:
  recourse::Duration delay(const recourse::BackoffInput&) const override { throw std::logic_error("bug"); }
};

class ThrowingBudget : public recourse::Budget {
 public:
  recourse::BudgetDecision acquire(const recourse::BudgetRequest&) override { throw std::runtime_error("redis down"); }
};

class ThrowingObserver : public recourse::Observer {
 public:
  void on_start(const recourse::CallInfo&) override { throw std::runtime_error("observer bug"); }
  void on_success(const recourse::CallInfo&, const recourse::Timeline&) override { throw 42; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(executor_budgets)

BOOST_AUTO_TEST_CASE(the_first_attempt_never_asks_the_budget) {
  Harness h;
  auto budget = std::make_shared<CountingBudget>();
  budget->allow = false;
  (void)h.options.budgets.add("b", budget);
  set(h.table.defaults, "retry.budget.name", std::string("b"));
  auto ex = h.make();
  BOOST_TEST(ex->run("a.b", [](const Attempt&) { return 1; }) == 1);
  BOOST_TEST(budget->acquired == 0);
  BOOST_TEST(budget->recorded == 1);  // but it sees the outcome
}

// Issue 11: a budget judges by the reason too (gRFC A6 counts a pushback that says stop), so
// the executor hands it the whole outcome, not only its kind.
BOOST_AUTO_TEST_CASE(a_budget_records_each_outcome_with_its_reason) {
  Harness h;
  auto budget = std::make_shared<CountingBudget>();
  (void)h.options.budgets.add("b", budget);
  set(h.table.defaults, "retry.budget.name", std::string("b"));
  auto ex = h.make();
  int calls = 0;
  (void)ex->try_run("a.b", always_fails(calls));
  BOOST_REQUIRE(budget->last_reason.load() != nullptr);
  BOOST_TEST(std::string_view(budget->last_reason.load()) == recourse::reason::retryable_error);
  BOOST_TEST(budget->recorded == calls);
}

BOOST_AUTO_TEST_CASE(a_denied_retry_ends_the_call_before_any_backoff) {
  Harness h;
  auto budget = std::make_shared<CountingBudget>();
  budget->allow = false;
  (void)h.options.budgets.add("b", budget);
  set(h.table.defaults, "retry.budget.name", std::string("b"));
  auto log = std::make_shared<EventLog>();
  h.options.observers.push_back(log);
  auto ex = h.make();
  int calls = 0;
  const auto result = ex->try_run("a.b", always_fails(calls));
  BOOST_TEST(result.error().reason == "budget_denied");
  BOOST_TEST(calls == 1);
  BOOST_TEST(h.ms() == 0);
  const std::vector<std::string> expected{"start", "attempt:retryable_error", "budget:budget_denied",
                                          "failure:budget_denied"};
  BOOST_TEST(log->events() == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(every_granted_reservation_is_released_exactly_once) {
  Harness h;
  auto budget = std::make_shared<CountingBudget>();
  (void)h.options.budgets.add("b", budget);
  set(h.table.defaults, "retry.budget.name", std::string("b"));
  set(h.table.defaults, "retry.max_attempts", 4);
  auto ex = h.make();
  int calls = 0;
  (void)ex->try_run("a.b", always_fails(calls));  // the op throws every time
  BOOST_TEST(calls == 4);
  BOOST_TEST(budget->acquired == 3);
  BOOST_TEST(budget->released == 3);
  BOOST_TEST(budget->recorded == 4);
}

BOOST_AUTO_TEST_CASE(a_reservation_is_released_when_cancellation_ends_the_backoff) {
  Harness h;
  auto budget = std::make_shared<CountingBudget>();
  (void)h.options.budgets.add("b", budget);
  set(h.table.defaults, "retry.budget.name", std::string("b"));
  auto ex = h.make();
  std::stop_source caller;
  h.virtual_clock->schedule(h.virtual_clock->now() + 1ms, [&] { caller.request_stop(); });
  int calls = 0;
  BOOST_TEST(ex->try_run("a.b", always_fails(calls), {.stop = caller.get_token()}).error().reason == "cancelled");
  BOOST_TEST(budget->acquired == 1);
  BOOST_TEST(budget->released == 1);
  BOOST_TEST(budget->released_unused == 1);  // its retry never ran: the budget may take it back
}

BOOST_AUTO_TEST_CASE(a_retry_that_retry_after_would_push_past_the_deadline_never_asks_the_budget) {
  // The delay is decided first: a retry that cannot run costs nothing and is not "allowed".
  Harness h;
  auto budget = std::make_shared<CountingBudget>();
  (void)h.options.budgets.add("b", budget);
  auto log = std::make_shared<EventLog>();
  h.options.observers.push_back(log);
  set(h.table.defaults, "retry.budget.name", std::string("b"));
  set(h.table.defaults, "retry.overall_timeout", recourse::Duration(1s));
  set(h.table.defaults, "retry.initial_backoff", recourse::Duration(2s));
  set(h.table.defaults, "retry.max_backoff", recourse::Duration(2s));
  auto ex = h.make();
  int calls = 0;
  BOOST_TEST(ex->try_run("a.b", always_fails(calls)).error().reason == "deadline_exceeded");
  BOOST_TEST(calls == 1);
  BOOST_TEST(budget->acquired == 0);
  for (const auto& e : log->events()) BOOST_TEST(!e.starts_with("budget:"), e);
}

BOOST_AUTO_TEST_CASE(a_retry_that_runs_releases_its_reservation_as_used) {
  Harness h;
  auto budget = std::make_shared<CountingBudget>();
  (void)h.options.budgets.add("b", budget);
  set(h.table.defaults, "retry.budget.name", std::string("b"));
  auto ex = h.make();
  int calls = 0;
  (void)ex->try_run("a.b", always_fails(calls));
  BOOST_TEST(budget->released == 2);
  BOOST_TEST(budget->released_unused == 0);
}

BOOST_AUTO_TEST_CASE(a_throwing_budget_denies_with_budget_error) {
  Harness h;
  (void)h.options.budgets.add("b", std::make_shared<ThrowingBudget>());
  set(h.table.defaults, "retry.budget.name", std::string("b"));
  auto ex = h.make();
  int calls = 0;
  BOOST_TEST(ex->try_run("a.b", always_fails(calls)).error().reason == "budget_error");
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(missing_budget_modes) {
  for (auto [mode, reason, calls_expected] :
       {std::tuple{recourse::MissingMode::deny, "budget_not_found", 1},
        std::tuple{recourse::MissingMode::allow, "max_attempts", 3},
        std::tuple{recourse::MissingMode::fallback, "max_attempts", 3}}) {
    Harness h;
    h.options.missing.budget = mode;
    set(h.table.defaults, "retry.budget.name", std::string("nope"));
    auto ex = h.make();
    int calls = 0;
    recourse::Timeline t;
    BOOST_TEST(ex->try_run("a.b", always_fails(calls), {.timeline = &t}).error().reason == reason);
    BOOST_TEST(calls == calls_expected);
    BOOST_TEST(t.modes_used.size() == 1u);
  }
}

BOOST_AUTO_TEST_CASE(without_a_budget_retries_are_recorded_as_no_budget) {
  Harness h;
  auto ex = h.make();
  int calls = 0;
  recourse::Timeline t;
  (void)ex->try_run("a.b", always_fails(calls), {.timeline = &t});
  BOOST_TEST(t.attempts[0].budget_reason.empty());
  BOOST_TEST(t.attempts[1].budget_reason == "no_budget");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(executor_component_errors)

BOOST_AUTO_TEST_CASE(a_throwing_classifier_is_non_retryable_classifier_error) {
  Harness h;
  (void)h.options.classifiers.add("bad", std::make_shared<ThrowingClassifier>());
  set(h.table.defaults, "retry.classifier", std::string("bad"));
  auto ex = h.make();
  int calls = 0;
  const auto r = ex->try_run("a.b", always_fails(calls));
  BOOST_TEST(r.error().reason == "classifier_error");
  BOOST_TEST((r.error().kind == recourse::OutcomeKind::non_retryable));
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(an_unknown_outcome_is_non_retryable) {
  Harness h;
  (void)h.options.classifiers.add("odd", std::make_shared<UnknownClassifier>());
  set(h.table.defaults, "retry.classifier", std::string("odd"));
  auto ex = h.make();
  int calls = 0;
  BOOST_TEST(ex->try_run("a.b", always_fails(calls)).error().reason == "unknown_outcome");
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(a_throwing_backoff_ends_the_call_with_backoff_error) {
  // In every jitter mode: decorrelated jitter ignores the strategy's delay, but the strategy is
  // still asked, so one that throws fails the call the same way.
  for (const auto jitter :
       {recourse::Jitter::none, recourse::Jitter::full, recourse::Jitter::equal, recourse::Jitter::decorrelated}) {
    Harness h;
    (void)h.options.backoffs.add("bad", std::make_shared<ThrowingBackoff>());
    set(h.table.defaults, "retry.backoff", std::string("bad"));
    set(h.table.defaults, "retry.jitter", jitter);
    auto ex = h.make();
    int calls = 0;
    BOOST_TEST(ex->try_run("a.b", always_fails(calls)).error().reason == "backoff_error", recourse::to_string(jitter));
    BOOST_TEST(calls == 1);
  }
}

BOOST_AUTO_TEST_CASE(throwing_observers_are_counted_and_change_nothing) {
  Harness h;
  h.options.observers.push_back(std::make_shared<ThrowingObserver>());
  auto log = std::make_shared<EventLog>();
  h.options.observers.push_back(log);
  auto ex = h.make();
  BOOST_TEST(ex->run("a.b", [](const Attempt&) { return 3; }) == 3);
  BOOST_TEST(ex->observer_errors() == 2u);
  const std::vector<std::string> expected{"start", "attempt:success", "success"};
  BOOST_TEST(log->events() == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(registering_a_name_twice_is_an_error) {
  recourse::ComponentRegistry<recourse::Classifier> registry("classifier");
  BOOST_TEST(registry.add("x", std::make_shared<recourse::NeverClassifier>()).has_value());
  const auto again = registry.add("x", std::make_shared<recourse::NeverClassifier>());
  BOOST_REQUIRE(!again.has_value());
  BOOST_TEST(again.error() == "a classifier named \"x\" is already registered");
  BOOST_TEST(registry.missing("y") == "no classifier named \"y\"; known: x");
}

BOOST_AUTO_TEST_CASE(exponential_backoff_is_overflow_safe_far_past_the_attempt_limit) {
  recourse::RetryPolicy policy;
  policy.multiplier = 10;
  policy.max_backoff = 30s;
  const recourse::ExponentialBackoff backoff;
  for (int retry : {1, 2, 30, 60, 61, 1000, 1 << 30}) {
    const auto d = backoff.delay({retry, &policy, {}});
    BOOST_TEST(d.count() >= 0);
    BOOST_TEST((d <= 30s));
  }
  BOOST_TEST(harness::ms(backoff.delay({60, &policy, {}})) == 30000);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(executor_missing_components)

BOOST_AUTO_TEST_CASE(a_key_without_policy_is_denied_by_default) {
  Harness h;
  h.table.defaults.where = {};  // no [defaults]: unconfigured keys have no policy
  auto ex = h.make();
  int calls = 0;
  const auto r = ex->try_run("a.b", always_fails(calls));
  BOOST_TEST(r.error().reason == "no_policy");
  BOOST_TEST(r.error().attempts == 0);
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(missing_policy_fallback_and_allow) {
  {
    Harness h;
    h.table.defaults.where = {};
    h.options.missing.policy = recourse::MissingMode::fallback;
    auto ex = h.make();
    int calls = 0;
    recourse::Timeline t;
    BOOST_TEST(ex->try_run("a.b", always_fails(calls), {.timeline = &t}).error().reason == "max_attempts");
    BOOST_TEST(calls == 3);
    BOOST_TEST(t.modes_used == (std::vector<std::string_view>{"policy:fallback"}), boost::test_tools::per_element());
  }
  {
    Harness h;
    h.table.defaults.where = {};
    h.options.missing.policy = recourse::MissingMode::allow;
    auto ex = h.make();
    int calls = 0;
    BOOST_TEST(ex->try_run("a.b", always_fails(calls)).error().reason == "max_attempts");
    BOOST_TEST(calls == 1);  // one unprotected attempt
  }
}

BOOST_AUTO_TEST_CASE(missing_classifier_falls_back_by_default_and_says_so) {
  Harness h;
  set(h.table.defaults, "retry.classifier", std::string("htp"));
  auto ex = h.make();
  int calls = 0;
  recourse::Timeline t;
  (void)ex->try_run("a.b", always_fails(calls), {.timeline = &t});
  BOOST_TEST(calls == 3);
  BOOST_TEST(t.attempts[0].classifier_fallback);
  BOOST_TEST(t.modes_used == (std::vector<std::string_view>{"classifier:fallback"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(missing_classifier_deny_refuses_the_call) {
  Harness h;
  h.options.missing.classifier = recourse::MissingMode::deny;
  set(h.table.defaults, "retry.classifier", std::string("htp"));
  auto ex = h.make();
  int calls = 0;
  BOOST_TEST(ex->try_run("a.b", always_fails(calls)).error().reason == "classifier_not_found");
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(an_invalid_key_is_rejected_before_the_operation_runs) {
  Harness h;
  auto log = std::make_shared<EventLog>();
  h.options.observers.push_back(log);
  auto ex = h.make();
  int calls = 0;
  for (std::string_view bad : {"", "   ", "a\x01.b"}) {
    const auto r = ex->try_run(bad, always_fails(calls));
    BOOST_TEST(r.error().reason == "invalid_key");
  }
  BOOST_TEST(calls == 0);
  BOOST_TEST(log->events().back() == "failure:invalid_key");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(executor_keys)

BOOST_AUTO_TEST_CASE(string_keys_and_handles_resolve_the_same_policy) {
  Harness h;
  set(h.table.exact["pay.Charge"], "retry.max_attempts", 2);
  auto ex = h.make();
  const auto handle = *recourse::KeyHandle::intern("pay.Charge");
  for (int round = 0; round < 2; ++round) {  // second round: from the caches
    int by_string = 0, by_handle = 0, spaced = 0;
    (void)ex->try_run("pay.Charge", always_fails(by_string));
    (void)ex->try_run(handle, always_fails(by_handle));
    (void)ex->try_run(" pay . Charge ", always_fails(spaced));
    BOOST_TEST(by_string == 2);
    BOOST_TEST(by_handle == 2);
    BOOST_TEST(spaced == 2);
  }
}

BOOST_AUTO_TEST_CASE(keys_past_the_cardinality_limit_get_their_nearest_layer_and_are_reported_once) {
  Harness h;
  h.options.max_keys = 2;
  set(h.table.defaults, "retry.max_attempts", 5);
  set(h.table.namespaces["pay"], "retry.max_attempts", 2);
  auto log = std::make_shared<EventLog>();
  h.options.observers.push_back(log);
  auto ex = h.make();
  int calls = 0;
  (void)ex->try_run("k.one", always_fails(calls));
  (void)ex->try_run("k.two", always_fails(calls));
  BOOST_TEST(calls == 10);
  recourse::Timeline t;
  calls = 0;
  (void)ex->try_run("k.three", always_fails(calls), {.timeline = &t});
  (void)ex->try_run("k.three", always_fails(calls));
  BOOST_TEST(calls == 10);  // [defaults]: 5 attempts each, never less than its layers say
  BOOST_TEST(t.cardinality_limited);
  BOOST_TEST(t.key == "k.three");
  calls = 0;
  (void)ex->try_run("pay.id-4711", always_fails(calls));
  BOOST_TEST(calls == 2);  // "pay.*"
  int reports = 0;
  for (const auto& e : log->events()) reports += e == "cardinality:k.three";
  BOOST_TEST(reports == 1);
  BOOST_TEST(ex->over_limit_calls() == 3u);
}

BOOST_AUTO_TEST_CASE(a_key_configured_by_exact_name_keeps_its_own_policy_past_the_limit) {
  // One call site that puts an id in its key must not strip payments.Charge of its `never`
  // classifier, its single attempt and its breaker: a card charged three times.
  Harness h;
  h.options.max_keys = 3;
  set(h.table.exact["payments.Charge"], "retry.classifier", std::string("never"));
  set(h.table.exact["payments.Charge"], "retry.max_attempts", 1);
  set(h.table.exact["payments.Charge"], "circuit.enabled", true);
  auto ex = h.make();
  int calls = 0;
  for (int id = 0; id < 10; ++id) (void)ex->try_run("orders.Get-" + std::to_string(id), always_fails(calls));
  calls = 0;
  recourse::Timeline t;
  const auto charged = ex->try_run("payments.Charge", always_fails(calls), {.timeline = &t});
  BOOST_TEST(calls == 1);
  BOOST_TEST(charged.error().reason == "non_retryable_error");
  BOOST_TEST(!t.cardinality_limited);
  BOOST_TEST(t.policy_id == "payments.Charge");
  BOOST_TEST(ex->circuit_state("payments.Charge").has_value());
}

BOOST_AUTO_TEST_CASE(asking_for_a_breaker_state_compiles_nothing_and_spends_no_key_slot) {
  // A getter with a side effect: asking about keys (a dashboard polling) used to compile their
  // policies and fill max_keys, so the service's real keys then ran under shared policies.
  Harness h;
  h.options.max_keys = 1;
  set(h.table.namespaces["db"], "circuit.enabled", true);
  set(h.table.namespaces["db"], "circuit.threshold", 1);
  set(h.table.namespaces["db"], "retry.max_attempts", 1);
  auto ex = h.make();
  for (int id = 0; id < 5; ++id)
    BOOST_TEST((ex->circuit_state("db.Polled-" + std::to_string(id)) == std::optional(CircuitState::closed)));
  BOOST_TEST(!ex->circuit_state("orders.Get").has_value());  // its policy has no breaker
  recourse::Timeline t;
  int calls = 0;
  (void)ex->try_run("db.Query", always_fails(calls), {.timeline = &t});
  BOOST_TEST(!t.cardinality_limited);  // the one slot was still free
  BOOST_TEST(ex->over_limit_calls() == 0u);
  BOOST_TEST((ex->circuit_state("db.Query") == std::optional(CircuitState::open)));
  // Past the limit now: a key that would share db's layer policy reports that shared breaker,
  // which no call has opened yet.
  BOOST_TEST((ex->circuit_state("db.Other") == std::optional(CircuitState::closed)));
  (void)ex->try_run("db.Other", always_fails(calls));
  BOOST_TEST(ex->over_limit_calls() == 1u);
  BOOST_TEST((ex->circuit_state("db.Another") == std::optional(CircuitState::open)));  // the same shared one
}

BOOST_AUTO_TEST_CASE(an_overflow_without_observers_is_logged_once_per_key) {
  struct Lines : recourse::Logger {
    std::vector<std::string> lines;
    void log(recourse::LogLevel, std::string_view message) noexcept override { lines.emplace_back(message); }
  };
  Harness h;
  auto logger = std::make_shared<Lines>();
  h.options.logger = logger;
  h.options.max_keys = 1;
  auto ex = h.make();
  const auto ok = [](const Attempt&) { return 1; };
  (void)ex->try_run("a.one", ok);
  (void)ex->try_run("a.two", ok);
  (void)ex->try_run("a.two", ok);
  (void)ex->try_run("a.three", ok);
  BOOST_REQUIRE(logger->lines.size() == 2u);
  BOOST_TEST(logger->lines[0].find("\"a.two\"") != std::string::npos);
  BOOST_TEST(logger->lines[0].find("max_keys") != std::string::npos);
  BOOST_TEST(logger->lines[0].find("defaults") != std::string::npos);  // the layer it runs under
  BOOST_TEST(ex->over_limit_calls() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(executor_threads)

BOOST_AUTO_TEST_CASE(concurrent_calls_on_shared_keys_agree_with_their_policies) {
  Harness h;
  set(h.table.defaults, "retry.max_attempts", 3);
  set(h.table.defaults, "retry.initial_backoff", recourse::Duration(1ms));
  set(h.table.exact["hot.One"], "retry.max_attempts", 2);
  auto budget = std::make_shared<CountingBudget>();
  (void)h.options.budgets.add("b", budget);
  set(h.table.defaults, "retry.budget.name", std::string("b"));
  auto log = std::make_shared<EventLog>();
  h.options.observers.push_back(log);
  h.options.clock = std::make_shared<recourse::SystemClock>();  // shared virtual time is single-threaded
  auto ex = h.make();
  constexpr int threads = 4, calls_per_thread = 50;
  std::atomic<int> invocations{0}, failures{0};
  std::vector<std::jthread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < calls_per_thread; ++i) {
        const char* key = (i % 3 == 0) ? "hot.One" : (i % 3 == 1) ? "hot.Two" : "cold.Three";
        const bool fail = (i + t) % 2 == 0;
        const auto r = ex->try_run(key, [&](const Attempt&) -> int {
          ++invocations;
          if (fail) throw std::runtime_error("x");
          return 1;
        });
        if (!r) ++failures;
      }
    });
  }
  workers.clear();
  BOOST_TEST(failures.load() == threads * calls_per_thread / 2);
  BOOST_TEST(budget->acquired.load() == budget->released.load());
  BOOST_TEST(budget->recorded.load() == invocations.load());
  int starts = 0, ends = 0;
  for (const auto& e : log->events()) {
    starts += e == "start";
    ends += e == "success" || e.starts_with("failure:");
  }
  BOOST_TEST(starts == threads * calls_per_thread);
  BOOST_TEST(ends == threads * calls_per_thread);
}

BOOST_AUTO_TEST_SUITE_END()
