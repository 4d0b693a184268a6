// Observers that say which events they want (SelectiveObserver, ABI 4.5): each is told only
// those, a call builds only what some observer wants — no clock read for an observer without
// `times`, attempts in the timeline only for `timeline` — and a plain Observer is still told
// everything, whole, beside them.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <vector>

#include "executor_harness.hpp"

using namespace std::chrono_literals;
using harness::Harness;
using harness::set;
using recourse::Attempt;
using recourse::ObserverEvent;
using recourse::ObserverEvents;

namespace {

// What an observer was told, in order, with the parts of the call-end timeline a test checks.
struct Told {
  std::vector<std::string> events;
  std::vector<std::string> keys;  // the Timeline's key at each call end
  std::vector<std::size_t> attempts_in_timeline;
  std::vector<std::size_t> normalization_in_timeline;
  std::vector<recourse::Duration> durations;  // end - start of each call-end timeline
  std::vector<recourse::TimePoint> attempt_ends;
};

class Recording : public recourse::SelectiveObserver {
 public:
  explicit Recording(ObserverEvents wanted) : wanted_(wanted) {}
  ObserverEvents events() const noexcept override { return wanted_; }

  void on_start(const recourse::CallInfo&) override { told.events.push_back("start"); }
  void on_attempt(const recourse::CallInfo&, const recourse::AttemptRecord& a) override {
    told.events.push_back("attempt:" + std::string(a.reason));
    told.attempt_ends.push_back(a.end);
  }
  void on_budget_decision(const recourse::CallInfo&, const recourse::BudgetEvent& e) override {
    told.events.push_back("budget:" + std::string(e.reason));
  }
  void on_success(const recourse::CallInfo&, const recourse::Timeline& t) override { ended("success", t); }
  void on_failure(const recourse::CallInfo&, const recourse::Timeline& t) override {
    ended("failure:" + std::string(t.final_reason), t);
  }
  void on_config(const recourse::ConfigEvent& e) override {
    told.events.push_back("config:" + std::to_string(e.generation));
  }

  Told told;
  std::function<void()> at_end;  // run in on_success/on_failure after recording

 private:
  void ended(std::string event, const recourse::Timeline& t) {
    told.events.push_back(std::move(event));
    told.keys.push_back(t.key);
    told.attempts_in_timeline.push_back(t.attempts.size());
    told.normalization_in_timeline.push_back(t.normalization.size());
    told.durations.push_back(t.end - t.start);
    if (at_end) at_end();
  }
  ObserverEvents wanted_;
};

// A plain Observer (no SelectiveObserver): told everything, with whole timelines.
class Everything : public recourse::Observer {
 public:
  void on_start(const recourse::CallInfo&) override { ++starts; }
  void on_success(const recourse::CallInfo&, const recourse::Timeline& t) override {
    attempts_in_timeline.push_back(t.attempts.size());
  }
  void on_failure(const recourse::CallInfo&, const recourse::Timeline& t) override {
    attempts_in_timeline.push_back(t.attempts.size());
  }
  int starts = 0;
  std::vector<std::size_t> attempts_in_timeline;
};

// A virtual clock that counts how often it is read.
class CountingClock final : public recourse::Clock {
 public:
  recourse::TimePoint now() const noexcept override {
    ++reads;
    return inner.now();
  }
  recourse::WallTime wall_now() const noexcept override { return inner.wall_now(); }
  bool sleep_until(recourse::TimePoint until, std::stop_token stop) override {
    return inner.sleep_until(until, std::move(stop));
  }
  recourse::TimerId schedule(recourse::TimePoint when, std::function<void()> fire) override {
    return inner.schedule(when, std::move(fire));
  }
  void cancel(recourse::TimerId id) noexcept override { inner.cancel(id); }

  mutable std::atomic<int> reads{0};
  recourse::VirtualClock inner;
};

auto fails_then_succeeds(int failures) {
  return [failures, calls = 0](const Attempt&) mutable {
    if (calls++ < failures) throw std::runtime_error("down");
    return 7;
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(observer_events)

BOOST_AUTO_TEST_CASE(a_plain_observer_wants_every_event_and_a_selective_one_its_own) {
  const Everything plain;
  BOOST_TEST((recourse::events_of(plain) == ObserverEvents::all()));
  const Recording counting(ObserverEvent::attempt | ObserverEvent::budget_decision);
  const ObserverEvents wanted = recourse::events_of(counting);
  BOOST_TEST(wanted.has(ObserverEvent::attempt));
  BOOST_TEST(wanted.has(ObserverEvent::budget_decision));
  BOOST_TEST(!wanted.has(ObserverEvent::outcome));
  BOOST_TEST(!wanted.has(ObserverEvent::times));
  BOOST_TEST(ObserverEvents::all().has(ObserverEvent::times));
  BOOST_TEST(ObserverEvents().empty());
}

BOOST_AUTO_TEST_CASE(an_observer_of_attempts_is_told_only_of_attempts) {
  Harness h;
  set(h.table.defaults, "retry.max_attempts", 3);
  set(h.table.defaults, "retry.initial_backoff", recourse::Duration(0));
  auto observer = std::make_shared<Recording>(ObserverEvent::attempt);
  h.options.observers.push_back(observer);
  auto executor = h.make();
  BOOST_TEST(executor->run("svc.Op", fails_then_succeeds(2)) == 7);
  BOOST_TEST((observer->told.events ==
              std::vector<std::string>{"attempt:retryable_error", "attempt:retryable_error", "attempt:success"}));
}

BOOST_AUTO_TEST_CASE(an_observer_without_times_costs_the_call_no_clock_read) {
  for (const bool wants_times : {false, true}) {
    auto clock = std::make_shared<CountingClock>();
    recourse::ExecutorOptions options;
    options.clock = clock;
    ObserverEvents wanted = ObserverEvent::attempt | ObserverEvent::outcome;
    if (wants_times) wanted = wanted | ObserverEvent::times;
    auto observer = std::make_shared<Recording>(wanted);
    options.observers.push_back(observer);
    recourse::Executor executor(std::move(options));
    BOOST_TEST(executor.run("svc.Op", [](const Attempt&) { return 1; }) == 1);
    const int reads = clock->reads.load();
    BOOST_TEST_CONTEXT("times wanted: " << wants_times) {
      if (wants_times) BOOST_TEST(reads >= 2);  // the call's start and its attempt's end at least
      else BOOST_TEST(reads == 0);
      BOOST_TEST((observer->told.events == std::vector<std::string>{"attempt:success", "success"}));
    }
  }
  // A plain observer wants times too: the clock is read for it.
  auto clock = std::make_shared<CountingClock>();
  recourse::ExecutorOptions options;
  options.clock = clock;
  options.observers.push_back(std::make_shared<Everything>());
  recourse::Executor executor(std::move(options));
  BOOST_TEST(executor.run("svc.Op", [](const Attempt&) { return 1; }) == 1);
  BOOST_TEST(clock->reads.load() >= 2);
}

// Two executors, the same calls: one observer wants outcomes (the summary), the other the whole
// timeline. (Beside an observer of timelines, one of outcomes is given the whole one too: the
// call builds one timeline for all.)
BOOST_AUTO_TEST_CASE(an_observer_of_outcomes_gets_the_summary_and_one_of_timelines_the_attempts) {
  const auto told = [](ObserverEvents wanted) {
    Harness h;
    set(h.table.defaults, "retry.max_attempts", 3);
    set(h.table.defaults, "retry.initial_backoff", recourse::Duration(0));
    auto observer = std::make_shared<Recording>(wanted);
    h.options.observers.push_back(observer);
    auto executor = h.make();
    BOOST_TEST(executor->run("svc.Op", fails_then_succeeds(1)) == 7);
    BOOST_TEST(!executor->try_run("svc.Op", fails_then_succeeds(5)).has_value());
    return observer->told;
  };
  const Told summary = told(ObserverEvent::outcome);
  const Told whole = told(ObserverEvent::timeline);  // implies outcome
  BOOST_TEST((summary.events == std::vector<std::string>{"success", "failure:max_attempts"}));
  BOOST_TEST((summary.keys == std::vector<std::string>{"svc.Op", "svc.Op"}));
  BOOST_TEST((summary.attempts_in_timeline == std::vector<std::size_t>{0, 0}));
  BOOST_TEST((whole.events == summary.events));
  BOOST_TEST((whole.attempts_in_timeline == std::vector<std::size_t>{2, 3}));
  // The normalization (initial_backoff 0 clamped up to 1 ms) is in the whole timeline only.
  BOOST_TEST(summary.normalization_in_timeline[0] == 0u);
  BOOST_TEST(whole.normalization_in_timeline[0] >= 1u);
}

BOOST_AUTO_TEST_CASE(a_summary_with_times_lasts_as_long_as_the_call_and_one_without_none) {
  for (const bool wants_times : {false, true}) {
    Harness h;
    set(h.table.defaults, "retry.max_attempts", 1);
    ObserverEvents wanted = ObserverEvent::outcome;
    if (wants_times) wanted = wanted | ObserverEvent::times;
    auto observer = std::make_shared<Recording>(wanted);
    h.options.observers.push_back(observer);
    auto clock = h.virtual_clock;
    auto executor = h.make();
    BOOST_TEST(executor->run("svc.Op", [&](const Attempt&) {
      clock->advance(40ms);
      return 1;
    }) == 1);
    BOOST_TEST_CONTEXT("times wanted: " << wants_times) {
      BOOST_REQUIRE(observer->told.durations.size() == 1u);
      BOOST_TEST(harness::ms(observer->told.durations[0]) == (wants_times ? 40 : 0));
    }
  }
}

BOOST_AUTO_TEST_CASE(each_observer_is_told_its_own_events_beside_a_plain_one) {
  Harness h;
  set(h.table.defaults, "retry.max_attempts", 2);
  set(h.table.defaults, "retry.initial_backoff", recourse::Duration(0));
  auto config_only = std::make_shared<Recording>(ObserverEvent::config);
  auto starts = std::make_shared<Recording>(ObserverEvent::start);
  auto plain = std::make_shared<Everything>();
  h.options.observers.push_back(config_only);
  h.options.observers.push_back(starts);
  h.options.observers.push_back(plain);
  auto executor = h.make();
  BOOST_TEST(executor->run("svc.Op", fails_then_succeeds(1)) == 7);
  BOOST_TEST(executor->run("svc.Op", fails_then_succeeds(0)) == 7);
  BOOST_TEST((config_only->told.events == std::vector<std::string>{"config:1"}));
  BOOST_TEST((starts->told.events == std::vector<std::string>{"start", "start"}));
  BOOST_TEST(plain->starts == 2);
  BOOST_TEST((plain->attempts_in_timeline == std::vector<std::size_t>{2, 1}));
}

// A budget makes the call read the clock at each attempt's end, never at its start: an observer
// without `times` gets no times at all rather than an end without a start.
BOOST_AUTO_TEST_CASE(an_attempt_without_times_has_neither_start_nor_end) {
  for (const bool wants_times : {false, true}) {
    Harness h;
    h.virtual_clock->advance(5s);  // so that a time read is not zero
    (void)h.options.budgets.add("b", std::make_shared<harness::CountingBudget>());
    set(h.table.defaults, "retry.budget.name", std::string("b"));
    ObserverEvents wanted = ObserverEvent::attempt;
    if (wants_times) wanted = wanted | ObserverEvent::times;
    auto observer = std::make_shared<Recording>(wanted);
    h.options.observers.push_back(observer);
    auto executor = h.make();
    BOOST_TEST(executor->run("svc.Op", [](const Attempt&) { return 1; }) == 1);
    BOOST_TEST_CONTEXT("times wanted: " << wants_times) {
      BOOST_REQUIRE(observer->told.attempt_ends.size() == 1u);
      BOOST_TEST((observer->told.attempt_ends[0] == (wants_times ? h.virtual_clock->now() : recourse::TimePoint{})));
    }
  }
}

// The timeline of an observer-only call is this thread's spare; a call made from inside an
// observer while the spare is held builds its own, and the outer call's timeline is untouched.
BOOST_AUTO_TEST_CASE(a_call_from_an_observer_does_not_overwrite_the_outer_calls_timeline) {
  Harness h;
  set(h.table.defaults, "retry.max_attempts", 1);
  auto nesting = std::make_shared<Recording>(ObserverEvent::timeline);
  auto after = std::make_shared<Recording>(ObserverEvent::timeline);
  h.options.observers.push_back(nesting);
  h.options.observers.push_back(after);
  auto executor = h.make();
  bool nested = false;
  nesting->at_end = [&] {
    if (nested) return;
    nested = true;
    BOOST_TEST(executor->run("svc.Inner", [](const Attempt&) { return 2; }) == 2);
  };
  BOOST_TEST(executor->run("svc.Outer", [](const Attempt&) { return 1; }) == 1);
  // `after` hears the inner call (made while the outer one was being told) end first, then
  // the outer one, whole.
  BOOST_TEST((after->told.keys == std::vector<std::string>{"svc.Inner", "svc.Outer"}));
  BOOST_TEST((after->told.attempts_in_timeline == std::vector<std::size_t>{1, 1}));
  BOOST_TEST((nesting->told.keys == std::vector<std::string>{"svc.Outer", "svc.Inner"}));
}

// A Timeline the caller reuses starts each call afresh: nothing of the previous call is left.
BOOST_AUTO_TEST_CASE(a_reused_timeline_holds_only_its_latest_call) {
  Harness h;
  set(h.table.defaults, "retry.max_attempts", 3);
  recourse::PolicyPatch clamped;  // initial_backoff 0 is clamped to 1 ms: one normalization
  set(clamped, "retry.initial_backoff", recourse::Duration(0));
  set(clamped, "retry.max_attempts", 3);
  h.table.exact.emplace("svc.Failing", std::move(clamped));
  auto executor = h.make();
  recourse::Timeline timeline;
  BOOST_TEST(!executor->try_run("svc.Failing", fails_then_succeeds(5), {.timeline = &timeline}).has_value());
  BOOST_TEST(timeline.attempts.size() == 3u);
  BOOST_TEST(timeline.final_reason == recourse::reason::max_attempts);
  BOOST_TEST(timeline.normalization.size() >= 1u);
  BOOST_TEST(timeline.policy_id != "");
  const std::string failing_policy = timeline.policy_id;
  BOOST_TEST(executor->run("svc.Op", fails_then_succeeds(0), {.timeline = &timeline}) == 7);
  BOOST_TEST(timeline.key == "svc.Op");
  BOOST_TEST(timeline.attempts.size() == 1u);
  BOOST_TEST(timeline.final_reason == recourse::reason::success);
  BOOST_TEST(timeline.attempts[0].reason == recourse::reason::success);
  BOOST_TEST(timeline.normalization.empty());
  BOOST_TEST(timeline.policy_id != failing_policy);
  BOOST_TEST((timeline.end == timeline.attempts[0].end));
}

BOOST_AUTO_TEST_SUITE_END()
