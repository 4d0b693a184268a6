// Running a scenario (see scenario.cppm): one executor on a virtual clock, the scripted
// operation, an observer that writes events as strings, and the comparison with expectations.
module;
#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

module recourse.host.scenario;

import recourse.host.runtime;

namespace recourse::host {

// What the scripted operation returns: a value as text and the protocol status it carries.
struct ScenarioResponse {
  std::string value;
  ProtocolStatus status;
};

ProtocolStatus recourse_protocol_status(const ScenarioResponse& response) { return response.status; }

namespace {

// `allow = [true, false, …]`: successive answers, the last repeating.
class ScriptBudget final : public Budget {
 public:
  explicit ScriptBudget(std::vector<bool> answers) : answers_(std::move(answers)) {}
  BudgetDecision acquire(const BudgetRequest&) override {
    std::lock_guard lock(mutex_);
    const bool allow = answers_[std::min(next_, answers_.size() - 1)];
    ++next_;
    return {allow, allow ? reason::allowed : reason::budget_denied, 0};
  }

 private:
  std::mutex mutex_;
  std::vector<bool> answers_;
  std::size_t next_ = 0;
};

// The built-ins and the `script` budget, whose answers a scenario writes down.
ComponentCatalogue scenario_components() {
  ComponentCatalogue components;
  components.add_host<Budget>("script", [](const ComponentContext& context) {
    const ConfigView& table = context.config;
    static constexpr std::string_view known[]{"plugin", "allow"};
    std::vector<ConfigError> errors = table.unknown_fields(known);
    auto allow = table.booleans("allow");
    if (!allow) errors.push_back(allow.error());
    else if (!*allow || (*allow)->empty())
      errors.push_back(table.error("allow", "a script budget needs allow = [true, false, ...]"));
    if (!errors.empty()) throw ConfigException(std::move(errors));
    return std::make_shared<ScriptBudget>(**allow);
  });
  return components;
}

// Events as strings, from whichever thread reports them (hedges run on the pool).
class EventRecorder final : public Observer {
 public:
  void on_start(const CallInfo&) override { add("start"); }
  void on_attempt(const CallInfo&, const AttemptRecord& a) override { add("attempt:" + std::string(a.reason)); }
  void on_budget_decision(const CallInfo&, const BudgetEvent& e) override { add("budget:" + std::string(e.reason)); }
  void on_success(const CallInfo&, const Timeline&) override { add("success"); }
  void on_failure(const CallInfo&, const Timeline& t) override { add("failure:" + std::string(t.final_reason)); }
  void on_circuit_transition(const CallInfo&, CircuitTransition t) override {
    add("circuit:" + std::string(to_string(t.from)) + "->" + std::string(to_string(t.to)));
  }
  void on_hedge(const CallInfo&, const HedgeEvent& e) override {
    const std::string n = std::to_string(e.hedge_index);
    switch (e.kind) {
      case HedgeEventKind::spawned: return add("hedge_spawn:" + n);
      case HedgeEventKind::cancelled: return add("hedge_cancel:" + n);
      case HedgeEventKind::not_started: return add("hedge_not_started:" + n + ":" + std::string(e.reason));
    }
  }
  std::vector<std::string> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(events_, {});
  }

 private:
  void add(std::string event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  std::mutex mutex_;
  std::vector<std::string> events_;
};

std::string text(Duration d) { return format_duration(d); }
std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

class Comparison {
 public:
  explicit Comparison(std::vector<std::string>& mismatches) : mismatches_(mismatches) {}

  template <class T>
  void check(std::string_view what, const std::optional<T>& expected, const T& actual) {
    if (expected && !(*expected == actual)) mismatches_.push_back(std::string(what) + ": expected " + show(*expected) + ", got " + show(actual));
  }

 private:
  static std::string show(const std::string& s) { return quoted(s); }
  static std::string show(int v) { return std::to_string(v); }
  static std::string show(bool v) { return v ? "true" : "false"; }
  static std::string show(Duration d) { return text(d); }
  template <class T>
  static std::string show(const std::vector<T>& list) {
    std::string out = "[";
    for (std::size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + show(list[i]);
    return out + "]";
  }

  std::vector<std::string>& mismatches_;
};

class CallRunner {
 public:
  CallRunner(Executor& executor, VirtualClock& clock, EventRecorder& events)
      : executor_(executor), clock_(clock), events_(events) {}

  CallReport run(const ScenarioCall& call, std::size_t index) {
    CallReport report{index, call.key, call.where, {}};
    if (call.at) {
      const TimePoint at = saturating_add(TimePoint{}, *call.at);
      if (at < clock_.now()) report.mismatches.push_back("at " + text(*call.at) + " is before the previous call ended (" + text(clock_.now().time_since_epoch()) + ")");
      else clock_.sleep_until(at, {});
    }
    events_.take();
    std::stop_source caller;
    std::optional<TimerId> cancel_timer;
    if (call.cancel_after)
      cancel_timer = clock_.schedule(saturating_add(clock_.now(), *call.cancel_after), [&caller] { caller.request_stop(); });

    // Hedges invoke the operation from the executor's threads: the script is taken in the
    // order attempts start, which virtual time makes deterministic.
    std::mutex script_mutex;
    int invocations = 0;
    Timeline timeline;
    const auto result = executor_.try_run(
        call.key,
        [&](const Attempt& attempt) -> std::expected<ScenarioResponse, std::error_code> {
          const ScriptStep* step;
          {
            std::lock_guard lock(script_mutex);
            step = &call.script[std::min<std::size_t>(static_cast<std::size_t>(invocations), call.script.size() - 1)];
            ++invocations;
          }
          return perform(*step, attempt, call.idempotent);
        },
        CallOptions{.stop = caller.get_token(), .timeline = &timeline, .idempotent = call.idempotent});
    if (cancel_timer) clock_.cancel(*cancel_timer);

    compare(call.expect, result, invocations, timeline, report.mismatches);
    return report;
  }

 private:
  std::expected<ScenarioResponse, std::error_code> perform(const ScriptStep& step, const Attempt& attempt, bool idempotent) {
    if (step.take > Duration::zero() && !clock_.sleep_until(saturating_add(clock_.now(), step.take), attempt.stop))
      return std::unexpected(std::make_error_code(std::errc::operation_canceled));
    switch (step.kind) {
      case ScriptStep::Kind::ok: return ScenarioResponse{step.value, {}};
      case ScriptStep::Kind::fail:
        if (step.value == "timeout") return std::unexpected(std::make_error_code(std::errc::timed_out));
        if (step.value == "cancelled") return std::unexpected(std::make_error_code(std::errc::operation_canceled));
        return std::unexpected(std::make_error_code(std::errc::io_error));
      case ScriptStep::Kind::http:
        return ScenarioResponse{"", {.http_status = step.http_status, .http_method = step.http_method,
                                     .retry_after = step.retry_after, .idempotent = idempotent}};
      case ScriptStep::Kind::grpc:
        return ScenarioResponse{"", {.grpc_code = step.grpc_code, .retry_after = step.retry_after, .idempotent = idempotent}};
      case ScriptStep::Kind::throw_: throw std::runtime_error(step.value);
      case ScriptStep::Kind::await_cancel:
        if (clock_.sleep_until(TimePoint::max(), attempt.stop)) return std::unexpected(std::make_error_code(std::errc::timed_out));
        return std::unexpected(std::make_error_code(std::errc::operation_canceled));
    }
    return std::unexpected(std::make_error_code(std::errc::invalid_argument));
  }

  void compare(const CallExpectation& expect, const std::expected<ScenarioResponse, Failure>& result, int invocations,
               const Timeline& timeline, std::vector<std::string>& mismatches) {
    Comparison c(mismatches);
    c.check("outcome", expect.outcome, std::string(result ? "success" : "failure"));
    c.check("reason", expect.reason, std::string(result ? "success" : result.error().reason));
    if (expect.value) {
      if (result) c.check("value", expect.value, result->value);
      else mismatches.push_back("value: expected " + quoted(*expect.value) + ", but the call failed");
    }
    c.check("invocations", expect.invocations, invocations);
    c.check("end", expect.end, clock_.now().time_since_epoch());
    std::vector<Duration> sleeps;
    // The backoff before each retry: what the primary of every group after the first slept.
    for (const AttemptRecord& a : timeline.attempts)
      if (!a.is_hedge && a.retry_index > 0) sleeps.push_back(a.backoff_before);
    c.check("sleeps", expect.sleeps, sleeps);
    c.check("events", expect.events, events_.take());
    if (expect.attempts) {
      if (expect.attempts->size() != timeline.attempts.size())
        mismatches.push_back("attempts: expected " + std::to_string(expect.attempts->size()) + ", got " +
                             std::to_string(timeline.attempts.size()));
      for (std::size_t i = 0; i < std::min(expect.attempts->size(), timeline.attempts.size()); ++i) {
        const AttemptExpectation& e = (*expect.attempts)[i];
        const AttemptRecord& a = timeline.attempts[i];
        const std::string at = "attempts[" + std::to_string(i) + "].";
        c.check(at + "reason", e.reason, std::string(a.reason));
        c.check(at + "kind", e.kind, std::string(to_string(a.kind)));
        c.check(at + "budget", e.budget, std::string(a.budget_reason));
        c.check(at + "backoff", e.backoff, a.backoff_before);
        c.check(at + "start", e.start, a.start.time_since_epoch());
        c.check(at + "end", e.end, a.end.time_since_epoch());
        c.check(at + "hedge", e.hedge, a.is_hedge);
      }
    }
  }

  Executor& executor_;
  VirtualClock& clock_;
  EventRecorder& events_;
};

}  // namespace

std::expected<std::vector<CallReport>, ConfigErrors> run_scenario(const Scenario& scenario) {
  auto clock = std::make_shared<VirtualClock>();
  std::shared_ptr<RandomSource> random;
  if (scenario.jitter_random) random = std::make_shared<FixedRandom>(*scenario.jitter_random);
  else random = std::make_shared<SplitMixRandom>(1);  // scenarios are reproducible by default
  static const ComponentCatalogue components = scenario_components();
  auto events = std::make_shared<EventRecorder>();
  // `recourse test` prints the file's deprecations itself, once per file.
  auto runtime = build_runtime(scenario.config, RuntimeOptions{.clock = clock,
                                                               .random = random,
                                                               .extra_observers = {events},
                                                               .components = &components,
                                                               .check_references = false,
                                                               .log_deprecations = false});
  if (!runtime) return std::unexpected(std::move(runtime.error()));
  CallRunner runner(*(*runtime)->executor, *clock, *events);
  // This thread works for the calls: with hedges racing on other threads, virtual time moves
  // only when it, too, waits on the clock.
  const ClockWorkScope working(*clock);
  std::vector<CallReport> reports;
  for (std::size_t i = 0; i < scenario.calls.size(); ++i) reports.push_back(runner.run(scenario.calls[i], i + 1));
  return reports;
}

}  // namespace recourse::host
