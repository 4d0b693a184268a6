// recourse.plugin:components — the interfaces plugins implement: Classifier, BackoffStrategy,
// Budget, Observer, HedgeTrigger, PolicyProvider. Pure interfaces (Envoy's envoy/ vs source/): built-ins and
// plugins live elsewhere. Each has an out-of-line destructor in components.cpp so its vtable and
// typeinfo are emitted once, in librecourse_core.so.
module;
#include "recourse/export.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

export module recourse.plugin:components;

import recourse.key;
import recourse.policy;
import :attempt;
import :outcome;
import :timeline;

export namespace recourse {

class RECOURSE_API Classifier {
 public:
  virtual ~Classifier();
  // Must be thread-safe. Throwing, or answering OutcomeKind::unknown, ends the call as
  // non-retryable (classifier_error / unknown_outcome): never a blind retry.
  virtual Outcome classify(const AttemptView& attempt) const = 0;
};

struct BackoffInput {
  int retry = 1;  // 1 for the first retry
  const RetryPolicy* policy = nullptr;
  Duration previous{};  // the delay used before the previous retry (zero before the first)
};

class RECOURSE_API BackoffStrategy {
 public:
  virtual ~BackoffStrategy();
  // The delay before retry `input.retry`, before jitter and the max_backoff cap. Must not
  // overflow for any retry number. Thread-safe.
  virtual Duration delay(const BackoffInput& input) const = 0;
};

// AWS's "decorrelated jitter" step: uniform between initial_backoff and three times the
// previous delay (initial_backoff before the first retry), that range capped at max_backoff;
// `unit` is a draw in [0, 1). The one implementation, behind both jitter = "decorrelated" and
// the `decorrelated` backoff plugin.
RECOURSE_API Duration decorrelated_jitter(const RetryPolicy& policy, Duration previous, double unit) noexcept;

struct BudgetRequest {
  std::string_view key;
  bool is_hedge = false;
  int attempt_index = 0;
  int cost = 1;
  TimePoint now{};
  // On release(): the retry this reservation admitted never ran (the caller cancelled, or time
  // ran out, during its backoff). A budget that spends on acquire may give the cost back.
  bool unused = false;
};

struct BudgetDecision {
  bool allowed = false;
  std::string_view reason;  // allowed, budget_denied, or a backend's own code
  std::uint64_t token = 0;  // passed back to release()
};

class RECOURSE_API Budget {
 public:
  virtual ~Budget();
  // Asked before every retry and every hedge, never before a first attempt.
  virtual BudgetDecision acquire(const BudgetRequest& request) = 0;
  // Called exactly once for every granted decision, when its attempt has ended (however).
  virtual void release(const BudgetRequest& request, std::uint64_t token) noexcept;
  // Every attempt's outcome under a policy naming this budget, first attempts included: its
  // kind and its reason, since a budget may judge by both — gRFC A6's throttle counts a failure
  // when the status was retryable *or* the server's pushback said "do not retry" (reason
  // grpc_pushback_stop, a non-retryable outcome), which the kind alone cannot tell from
  // INVALID_ARGUMENT.
  virtual void record(std::string_view key, const Outcome& outcome, TimePoint now) noexcept;
  // A call under a policy naming this budget started / ended (active-request counting).
  virtual void call_started(std::string_view key, TimePoint now) noexcept;
  virtual void call_finished(std::string_view key, TimePoint now) noexcept;
  // How much room it has now, in its own unit (tokens; for a ratio budget, retries it would
  // still allow): what `recourse simulate` charts over time. nullopt: it cannot say.
  virtual std::optional<double> level() noexcept;
  // A reload replaced `previous` (same name, same plugin, other settings) with this budget:
  // take over what it had spent or counted — tokens clamped to this one's capacity, its
  // window. Called once, before this budget serves a call. Reservations `previous` granted are
  // still released to it. Default: start fresh.
  virtual void carry_from(const Budget& previous) noexcept;
};

// A configuration was offered to an executor (Executor::replace, a host reload): taken, or
// refused with every reason. Refused, nothing changed and `generation` is the one running.
struct ConfigEvent {
  std::uint64_t generation = 0;  // running after this event
  bool accepted = false;
  std::vector<std::string> changes;         // what the new generation changed, a line each
  std::vector<std::string> errors;          // why it was refused, each with file:line:col
  std::vector<std::string> breakers_reset;  // keys whose breaker starts fresh in it
};

// Callbacks are contained: an observer that throws is counted and never changes a call.
class RECOURSE_API Observer {
 public:
  virtual ~Observer();
  virtual void on_start(const CallInfo& call);
  virtual void on_attempt(const CallInfo& call, const AttemptRecord& attempt);
  virtual void on_budget_decision(const CallInfo& call, const BudgetEvent& decision);
  virtual void on_success(const CallInfo& call, const Timeline& timeline);
  virtual void on_failure(const CallInfo& call, const Timeline& timeline);
  // A key past the executor's cardinality limit; reported once per key.
  virtual void on_cardinality_exceeded(std::string_view key);
  // The key's circuit breaker changed state (during `call`).
  virtual void on_circuit_transition(const CallInfo& call, CircuitTransition transition);
  // A hedge started, was cancelled, or could not start (HedgeEvent).
  virtual void on_hedge(const CallInfo& call, const HedgeEvent& event);
  // A configuration was offered: told to the observers of the generation it made (accepted),
  // or of the one still running (refused).
  virtual void on_config(const ConfigEvent& event);
  // The observer's generation ended without it (a reload removed or replaced it) and its last
  // call is over: write out what is buffered and close what it keeps open (a complete file).
  // No callback follows; it is destroyed next.
  virtual void flush() noexcept;
};

// What an observer is told (ABI 4.5). Each event but the last two is a callback. `timeline` and
// `times` say what the callbacks carry: without `timeline`, on_success and on_failure get the
// call's summary — key, policy, source, start and end, final reason, circuit state,
// cardinality_limited — with `attempts`, `normalization` and `modes_used` empty (unless the
// caller or another observer wants the whole timeline: a call builds one for all); without
// `times`, the start and end times in CallInfo, AttemptRecord and the Timeline may be zero (the
// clock is read only when a policy or another observer needs it: each read is tens of
// nanoseconds, more than a counter's add). A hedged call reads the clock anyway.
enum class ObserverEvent : std::uint32_t {
  start = 1u << 0,                  // on_start
  attempt = 1u << 1,                // on_attempt
  budget_decision = 1u << 2,        // on_budget_decision
  outcome = 1u << 3,                // on_success, on_failure
  cardinality_exceeded = 1u << 4,   // on_cardinality_exceeded
  circuit_transition = 1u << 5,     // on_circuit_transition
  hedge = 1u << 6,                  // on_hedge
  config = 1u << 7,                 // on_config
  timeline = 1u << 8,               // on_success/on_failure carry the whole timeline (implies outcome)
  times = 1u << 9,                  // events carry their times
};

inline constexpr std::size_t observer_event_count = 10;

// A set of ObserverEvent: `ObserverEvent::attempt | ObserverEvent::outcome`.
class ObserverEvents {
 public:
  constexpr ObserverEvents() noexcept = default;
  constexpr ObserverEvents(ObserverEvent event) noexcept : bits_(static_cast<std::uint32_t>(event)) {}
  static constexpr ObserverEvents all() noexcept { return from_bits((1u << observer_event_count) - 1); }
  static constexpr ObserverEvents from_bits(std::uint32_t bits) noexcept {
    ObserverEvents events;
    events.bits_ = bits & ((1u << observer_event_count) - 1);
    return events;
  }
  constexpr bool has(ObserverEvent event) const noexcept { return (bits_ & static_cast<std::uint32_t>(event)) != 0; }
  constexpr std::uint32_t bits() const noexcept { return bits_; }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  friend constexpr ObserverEvents operator|(ObserverEvents a, ObserverEvents b) noexcept {
    return from_bits(a.bits_ | b.bits_);
  }
  friend constexpr bool operator==(ObserverEvents, ObserverEvents) noexcept = default;

 private:
  std::uint32_t bits_ = 0;
};

constexpr ObserverEvents operator|(ObserverEvent a, ObserverEvent b) noexcept {
  return ObserverEvents(a) | ObserverEvents(b);
}

// An observer that says which events it wants (ABI 4.5). The executor asks once, when it makes
// the generation holding the observer, and builds for each call only what some observer wants:
// one that counts attempts costs no timeline and no clock read. An Observer that does not
// derive from this is told every event, with whole timelines and times (what it was told
// before 4.5).
class RECOURSE_API SelectiveObserver : public Observer {
 public:
  ~SelectiveObserver() override;
  virtual ObserverEvents events() const noexcept = 0;
};

// The events `observer` is told: its own choice, or every event.
RECOURSE_API ObserverEvents events_of(const Observer& observer) noexcept;

// A key's recent successful attempt latencies, as a hedge trigger sees them.
class RECOURSE_API LatencyView {
 public:
  virtual ~LatencyView();
  // The latency at `percentile` (0 < p <= 100), nearest-rank; nullopt below the policy's
  // hedge.min_samples.
  virtual std::optional<Duration> percentile(double percentile) const noexcept = 0;
  virtual std::size_t samples() const noexcept = 0;
};

struct HedgeTriggerInput {
  std::string_view key;
  int retry_index = 0;  // the group: 0 for the first attempt and its hedges
  const HedgePolicy* policy = nullptr;
  const LatencyView* latencies = nullptr;
};

// `hedge.trigger = "custom"`, `hedge.trigger_name = "<name>"`: decides when a group's hedges
// start. Hedge k starts k × the answer after the group began (a timer, not polling); nullopt:
// no hedges in this group. Asked once per group on the caller's thread; must be thread-safe.
class RECOURSE_API HedgeTrigger {
 public:
  virtual ~HedgeTrigger();
  virtual std::optional<Duration> delay(const HedgeTriggerInput& input) const = 0;
};

class RECOURSE_API PolicyProvider {
 public:
  virtual ~PolicyProvider();
  // The effective policy for `key`, or nullopt when the provider has none for it (the
  // executor's missing-policy mode decides then).
  virtual std::optional<ResolvedPolicy> policy_for(const Key& key) const = 0;
};

// A provider that may have to fetch a key's policy before it can answer for it (a per-key
// control plane). The executor finds it with dynamic_cast (ABI 4.4) and calls prepare() on a
// key's first use in a generation, before it takes the lock it compiles under: the wait,
// bounded by the provider, holds up only that key's first callers, never the compilation of
// other keys. policy_for() then answers from what prepare() brought, without waiting.
class RECOURSE_API PreparingPolicyProvider {
 public:
  virtual ~PreparingPolicyProvider();
  // Thread-safe; may block, for a bounded time. Never throws.
  virtual void prepare(const Key& key) noexcept = 0;
};

}  // namespace recourse
