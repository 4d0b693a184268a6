// Observers that say which events they want (SelectiveObserver, ABI 4.5): each is told only
// those, a call builds only what some observer wants — no clock read for an observer without
// `times`, attempts in the timeline only for `timeline` — and a plain Observer is still told
// everything, whole, beside them.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <sstream>
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

// Everything an observer of calls can be told, with every field it carries, one line an event.
class Transcript final : public recourse::SelectiveObserver {
 public:
  explicit Transcript(ObserverEvents wanted) : wanted_(wanted) {}
  ObserverEvents events() const noexcept override { return wanted_; }
  void on_start(const recourse::CallInfo& c) override { line() << "start " << call(c); }
  void on_attempt(const recourse::CallInfo& c, const recourse::AttemptRecord& a) override {
    line() << "attempt " << call(c) << " " << attempt(a);
  }
  void on_budget_decision(const recourse::CallInfo& c, const recourse::BudgetEvent& e) override {
    line() << "budget " << call(c) << " " << e.attempt_index << " " << e.budget << " " << e.allowed << " " << e.reason;
  }
  void on_circuit_transition(const recourse::CallInfo& c, recourse::CircuitTransition tr) override {
    line() << "circuit " << call(c) << " " << static_cast<int>(tr.from) << "->" << static_cast<int>(tr.to);
  }
  void on_success(const recourse::CallInfo& c, const recourse::Timeline& tl) override { ended("success", c, tl); }
  void on_failure(const recourse::CallInfo& c, const recourse::Timeline& tl) override { ended("failure", c, tl); }

  std::vector<std::string> lines;

  // Every field of a timeline, its attempts and normalization included.
  static std::string whole(const recourse::Timeline& tl) {
    std::ostringstream out;
    out << summary(tl) << " normalized";
    for (const auto& change : tl.normalization)
      out << " " << change.path << ":" << change.before << "->" << change.after;
    out << " modes";
    for (const auto mode : tl.modes_used) out << " " << mode;
    for (const auto& a : tl.attempts) out << " [" << attempt(a) << "]";
    return out.str();
  }

 private:
  static long long t(recourse::TimePoint p) { return harness::ms(p.time_since_epoch()); }
  static std::string attempt(const recourse::AttemptRecord& a) {
    std::ostringstream out;
    out << "#" << a.index << "/" << a.retry_index << " hedge " << a.is_hedge << "/" << a.hedge_index << " "
        << t(a.start) << "-" << t(a.end) << " " << static_cast<int>(a.kind) << ":" << a.reason << " backoff "
        << a.backoff_before.count() << " budget " << a.budget_reason << " overrun " << a.deadline_overrun
        << " fallback " << a.classifier_fallback;
    return out.str();
  }
  static std::string summary(const recourse::Timeline& tl) {
    std::ostringstream out;
    out << tl.key << " " << tl.policy_id << " " << static_cast<int>(tl.policy_source) << " " << t(tl.start) << "-"
        << t(tl.end) << " " << tl.final_reason << " circuit " << static_cast<int>(tl.circuit_state) << "/"
        << tl.circuit_probe << " limited " << tl.cardinality_limited;
    return out.str();
  }
  static std::string call(const recourse::CallInfo& c) {
    std::ostringstream out;
    out << c.key << " " << c.policy_id << " " << static_cast<int>(c.policy_source) << " " << t(c.start) << " slot "
        << c.key_slot;
    return out.str();
  }
  void ended(std::string_view how, const recourse::CallInfo& c, const recourse::Timeline& tl) {
    line() << how << " " << call(c) << " | " << (wanted_.has(ObserverEvent::timeline) ? whole(tl) : summary(tl));
  }
  struct Line {
    std::vector<std::string>& lines;
    std::ostringstream out;
    ~Line() { lines.push_back(out.str()); }
    template <class V>
    std::ostream& operator<<(const V& v) {
      return out << v;
    }
  };
  Line line() { return Line{lines, {}}; }
  ObserverEvents wanted_;
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

// A plain policy's attempt 0 runs inline even when observers watch its calls (watched_first);
// what they hear must be what the full loop tells them. A caller's Timeline sends the same calls
// through CallState, so the two transcripts are compared line for line: successes, failures,
// retries after an inline attempt 0, timeouts, a breaker a slow success opens.
// The inline paths (plain, timed; decision 0014) against the full loop
// (ExecutorOptions::inline_first_attempt = false): every field of every event, and of the
// caller's Timeline, alike — for each set of events an observer can want, and for none.
BOOST_AUTO_TEST_CASE(a_call_on_an_inline_path_is_told_as_the_full_loop_tells_it) {
  const ObserverEvents every_call_event = ObserverEvent::start | ObserverEvent::attempt |
                                          ObserverEvent::budget_decision | ObserverEvent::outcome |
                                          ObserverEvent::circuit_transition | ObserverEvent::times;
  for (const ObserverEvents wanted :
       {every_call_event, every_call_event | ObserverEvent::timeline, ObserverEvent::attempt | ObserverEvent::times,
        ObserverEvent::outcome | ObserverEvent::times, ObserverEvent::start | ObserverEvent::times,
        ObserverEvents(ObserverEvent::outcome), ObserverEvents(ObserverEvent::timeline), ObserverEvents{}}) {
    std::vector<std::string> transcripts[2];
    for (const bool full_loop : {false, true}) {
      Harness h;
      h.options.inline_first_attempt = !full_loop;
      h.virtual_clock->advance(3s);
      set(h.table.defaults, "retry.max_attempts", 3);
      set(h.table.exact["svc.Clamped"], "retry.max_attempts", 50);  // normalized to 10: in the timeline
      set(h.table.exact["svc.Timed"], "retry.per_attempt_timeout", recourse::Duration(1s));
      set(h.table.exact["svc.Timed"], "retry.overall_timeout", recourse::Duration(5s));
      set(h.table.exact["svc.Timed"], "retry.max_attempts", 3);
      auto& slow = h.table.exact["svc.Breaker"];
      set(slow, "circuit.enabled", true);
      set(slow, "circuit.kind", recourse::CircuitKind::failure_rate);
      set(slow, "circuit.window_size", 2);
      set(slow, "circuit.minimum_calls", 2);
      set(slow, "circuit.slow_call_duration", recourse::Duration(50ms));
      set(slow, "circuit.slow_call_rate_threshold", 50.0);
      set(slow, "circuit.cooldown", recourse::Duration(100ms));
      auto transcript = std::make_shared<Transcript>(wanted);
      if (!wanted.empty()) h.options.observers.push_back(transcript);
      auto clock = h.virtual_clock;
      auto executor = h.make();
      const auto taking = [&](recourse::Duration d, int failures) {
        return [&clock, d, failures, calls = 0](const Attempt&) mutable {
          clock->advance(d);
          if (calls++ < failures) throw std::runtime_error("down");
          return 7;
        };
      };
      recourse::Timeline timeline;
      for (const bool with_timeline : {false, true}) {
        recourse::CallOptions options;
        if (with_timeline) options.timeline = &timeline;
        const auto caller_was_told = [&] {
          if (with_timeline) transcript->lines.push_back("caller " + Transcript::whole(timeline));
        };
        for (const std::string key : {"svc.Plain", "svc.Clamped", "svc.Timed"}) {
          BOOST_TEST(executor->run(key, taking(10ms, 0), options) == 7);
          caller_was_told();
          BOOST_TEST(executor->run(key, taking(20ms, 1), options) == 7);
          caller_was_told();
          BOOST_TEST(!executor->try_run(key, taking(5ms, 99), options).has_value());
          caller_was_told();
        }
        // Ignores its stop token past the 1 s deadline: a success, recorded as deadline_overrun.
        BOOST_TEST(executor->run("svc.Timed", taking(1500ms, 0), options) == 7);
        caller_was_told();
        BOOST_TEST(executor->run("svc.Breaker", taking(10ms, 0), options) == 7);
        caller_was_told();
        BOOST_TEST(executor->run("svc.Breaker", taking(80ms, 0), options) == 7);  // slow: the breaker opens
        caller_was_told();
        BOOST_TEST(executor->try_run("svc.Breaker", taking(1ms, 0), options).error().reason ==
                   recourse::reason::circuit_open);
        caller_was_told();
        clock->advance(200ms);  // past the cooldown: a half-open probe (the full loop on either side)
        BOOST_TEST(executor->run("svc.Breaker", taking(1ms, 0), options) == 7);
        caller_was_told();
        static const auto handle = *recourse::KeyHandle::intern("svc.Plain");
        BOOST_TEST(executor->run(handle, taking(1ms, 0), options) == 7);
        caller_was_told();
      }
      transcripts[full_loop ? 1 : 0] = transcript->lines;
    }
    BOOST_TEST_CONTEXT("events wanted: " << wanted.bits()) {
      BOOST_TEST(!transcripts[0].empty());
      BOOST_TEST(transcripts[0] == transcripts[1], boost::test_tools::per_element());
      // The stubborn attempt was told as the overrun it was, and the clamp is in whole timelines.
      const auto told = [&](std::string_view a, std::string_view b) {
        return std::ranges::any_of(transcripts[1], [&](const std::string& l) {
          return l.find(a) != std::string::npos && l.find(b) != std::string::npos;
        });
      };
      if (wanted.has(ObserverEvent::attempt)) BOOST_TEST(told("attempt svc.Timed", "overrun 1"));
      BOOST_TEST(told("caller svc.Timed", "overrun 1"));
      BOOST_TEST(told("caller svc.Clamped", "retry.max_attempts:50->10"));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
