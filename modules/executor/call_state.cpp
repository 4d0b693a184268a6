// CallState: one call's retry loop, minus the operation itself (see call.cppm). The order of
// the checks in finish_attempt and prepare_retry is the contract of DESIGN.md §4 "Executor".
module;
#include <algorithm>
#include <any>
#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <stop_token>
#include <system_error>
#include <string_view>
#include <utility>

module recourse.executor;

import :state;
import :call_timeline;

namespace recourse::detail {
namespace {

// The documented reason for a classifier answer that gave none.
std::string_view default_reason(OutcomeKind kind) noexcept {
  switch (kind) {
    case OutcomeKind::success: return reason::success;
    case OutcomeKind::retryable: return reason::retryable_error;
    case OutcomeKind::non_retryable: return reason::non_retryable_error;
    default: return reason::abort;
  }
}

}  // namespace

CallState::CallState(ExecutorState& executor, const CallOptions& options) noexcept
    : executor_(executor), options_(options) {}

// Neither succeed() nor fail() ran: something threw out of the call (the operation's value
// failing to move, an allocation). The dependency's health is unknown, so the breaker ignores it.
CallState::~CallState() {
  if (!settled_) settle(CallVerdict::ignored);
  if (spare_taken_) give_back_spare_timeline();
}

bool CallState::observed(ObserverEvent event) const noexcept { return executor_.roster.wants(event); }
bool CallState::recording() const noexcept { return whole_timeline_ || observed(ObserverEvent::attempt); }

Timeline* CallState::observers_timeline() {
  Timeline* const spare = take_spare_timeline();
  if (spare == nullptr) return &own_timeline_.emplace();
  spare_taken_ = true;
  return spare;
}

void CallState::settle(CallVerdict verdict) noexcept {
  settled_ = true;
  release_budget();
  close_budget_call();
  finish_circuit(verdict);
}

// The indexes hold CompiledPolicy objects behind their PolicyHead.
void CallState::begin(std::string_view key, const PolicyHead* found) {
  key_text_ = key;
  if (found != nullptr) return open(static_cast<const CompiledPolicy*>(found));
  const auto parsed = Key::parse(key);
  if (!parsed) {
    open(nullptr);
    refuse(reason::invalid_key);
    return;
  }
  open(executor_.policy_for(key, *parsed));
}

void CallState::begin(KeyHandle key, const PolicyHead* found) {
  key_text_ = key.key().str();
  open(found != nullptr ? static_cast<const CompiledPolicy*>(found) : executor_.policy_for(key));
}

void CallState::open(const CompiledPolicy* policy) {
  policy_ = policy;
  // The caller's timeline is whole; one built for observers holds only what they asked for.
  timeline_ = options_.timeline;
  whole_timeline_ = timeline_ != nullptr || observed(ObserverEvent::timeline);
  timing_ = timeline_ != nullptr || observed(ObserverEvent::times);
  if (timeline_ == nullptr && observed(ObserverEvent::outcome)) timeline_ = observers_timeline();
  timed_ = policy != nullptr && policy->timed;
  if (resumed_start_) call_start_ = *resumed_start_;  // attempt 0 ran inline from then
  else if (timed_ || timing_ ||
           (policy != nullptr && (policy->retry_gate.budget() != nullptr || policy->breaker != nullptr)))
    call_start_ = executor_.clock.now();
  if (policy != nullptr) {
    attempt_.policy_id = policy->resolved.policy.id;
    const Duration overall = policy->resolved.policy.retry.overall_timeout;
    if (overall > Duration::zero()) overall_deadline_ = saturating_add(call_start_, overall);
  }
  if (timeline_ != nullptr) start_timeline(*timeline_, key_text_, call_start_, policy, whole_timeline_);
  if (!start_told_ && observed(ObserverEvent::start)) {
    const CallInfo info = this->info();
    executor_.notify(ObserverEvent::start, [&](Observer& o) { o.on_start(info); });
  }
  if (policy != nullptr && !policy->refusal.empty()) refuse(policy->refusal);
  // Cancelled before it began: not one attempt (Polly and the Go library make zero calls), and
  // the breaker is not asked, so no probe permit is taken for nothing.
  if (!refused_ && options_.stop.stop_requested()) refuse(reason::cancelled);
  if (!refused_ && policy != nullptr && policy->breaker != nullptr) {
    if (preadmitted_) {
      circuit_admitted_ = true;  // through a closed breaker, on the fast path
      if (preadmitted_start_) call_start_ = *preadmitted_start_;
    } else {
      admit_through_circuit();
    }
  }
  if (!refused_ && policy != nullptr &&
      (policy->retry_gate.budget() != nullptr || policy->hedge_gate.budget() != nullptr)) {
    for (Budget* budget : policy->budgets())
      if (budget != nullptr) budget->call_started(policy->key, call_start_);
    budget_calls_open_ = true;
  }
}

void record_success(CircuitBreaker& breaker, std::uint64_t generation, Clock& clock,
                    std::optional<TimePoint> start) noexcept {
  try {
    const TimePoint now = start ? clock.now() : TimePoint{};
    // The fast path runs only without observers of calls, so a transition (slow successes can open a
    // breaker) has no one to be reported to.
    (void)breaker.finish(false, generation, CallVerdict::success, now - start.value_or(now), now);
  } catch (...) {
  }
}

CallInfo CallState::info() const noexcept {
  return CallInfo{key_text_, attempt_.policy_id,
                  policy_ != nullptr ? policy_->resolved.policy.source : PolicySource::builtin_default, call_start_,
                  policy_ != nullptr ? policy_->key_slot : CallInfo::no_key_slot};
}

void CallState::admit_through_circuit() {
  const CircuitAdmission admission = policy_->breaker->admit(call_start_);
  if (timeline_ != nullptr) {
    timeline_->circuit_state = admission.state;
    timeline_->circuit_probe = admission.probe;
  }
  if (admission.transition && observed(ObserverEvent::circuit_transition)) {
    const CallInfo call = info();
    executor_.notify(ObserverEvent::circuit_transition,
                     [&](Observer& o) { o.on_circuit_transition(call, *admission.transition); });
  }
  if (!admission.allowed) {
    refuse(admission.reason);
    return;
  }
  circuit_admitted_ = true;
  circuit_probe_ = admission.probe;
  circuit_generation_ = admission.generation;
}

// However the call ends, the breaker hears of it exactly once: a probe's permit can never leak
// and leave the breaker stuck half-open.
void CallState::finish_circuit(CallVerdict verdict) noexcept {
  if (!circuit_admitted_) return;
  circuit_admitted_ = false;
  try {
    const TimePoint now = executor_.clock.now();
    const auto transition =
        policy_->breaker->finish(circuit_probe_, circuit_generation_, verdict, now - call_start_, now);
    if (transition && observed(ObserverEvent::circuit_transition)) {
      const CallInfo call = info();
      executor_.notify(ObserverEvent::circuit_transition,
                       [&](Observer& o) { o.on_circuit_transition(call, *transition); });
    }
  } catch (...) {
  }
}

void CallState::close_budget_call() noexcept {
  if (!budget_calls_open_) return;
  budget_calls_open_ = false;
  const TimePoint now = executor_.clock.now();
  for (Budget* budget : policy_->budgets())
    if (budget != nullptr) budget->call_finished(policy_->key, now);
}

void CallState::record_to_budgets(const Outcome& outcome, TimePoint end) noexcept {
  for (Budget* budget : policy_->budgets())
    if (budget != nullptr) budget->record(policy_->key, outcome, end);
}

bool CallState::hedged() const noexcept { return policy_ != nullptr && policy_->hedging && !refused_; }

void CallState::refuse(std::string_view reason) {
  refused_ = true;
  final_reason_ = reason;
}

Attempt CallState::number_attempt(TimePoint now) noexcept {
  Attempt attempt;
  attempt.index = attempts_started_++;
  attempt.retry_index = groups_done_;
  attempt.policy_id = attempt_.policy_id;
  attempt.deadline = attempt_deadline(now);
  return attempt;
}

void CallState::count_cancelled_hedge(const AttemptFacts& facts, TimePoint end) {
  ++attempts_done_;
  last_end_ = end;
  if (recording()) record_attempt(facts, OutcomeKind::unknown, reason::hedge_cancelled, end);
}

TimePoint CallState::attempt_deadline(TimePoint start) const noexcept {
  const Duration per_attempt = policy_->resolved.policy.retry.per_attempt_timeout;
  return per_attempt > Duration::zero() ? std::min(overall_deadline_, saturating_add(start, per_attempt))
                                        : overall_deadline_;
}

const Attempt& CallState::start_attempt() {
  attempt_.index = attempts_started_++;
  attempt_.retry_index = groups_done_;
  if (!timed_) {
    attempt_.stop = options_.stop;
    if (timing_) attempt_start_ = executor_.clock.now();
    return attempt_;
  }
  attempt_start_ = executor_.clock.now();
  attempt_.deadline = attempt_deadline(attempt_start_);
  attempt_.stop = control_.arm(executor_.clock, options_.stop, attempt_.deadline);
  return attempt_;
}

void CallState::end_attempt() noexcept {
  control_.disarm();
  release_budget();
}

Outcome CallState::validated(Outcome outcome) noexcept {
  if (outcome.kind > OutcomeKind::abort) return {OutcomeKind::non_retryable, reason::unknown_outcome, std::nullopt};
  if (outcome.reason.empty()) outcome.reason = default_reason(outcome.kind);
  return outcome;
}

Outcome CallState::classify(const AttemptView& view) noexcept {
  try {
    return validated(policy_->classifier->classify(view));
  } catch (...) {
    return {OutcomeKind::non_retryable, reason::classifier_error, std::nullopt};
  }
}

// An attempt its own deadline stopped timed out, whatever the operation returned once its stop
// token fired: ECANCELED, gRPC CANCELLED after TryCancel(), a transport error. The classifier
// judges it as the timeout it is — a view with the deadline passed and nothing else — so its
// own rule for timeouts (retry_deadline_exceeded, `never`) decides the kind; the reason is
// deadline_exceeded, and it is never an abort, because the caller did not cancel.
Outcome CallState::timed_out(const AttemptView& view) noexcept {
  AttemptView timeout;
  timeout.deadline_exceeded = true;
  timeout.attempt_index = view.attempt_index;
  timeout.call_idempotent = view.call_idempotent;
  // What the request was (so `http` still knows a GET from a POST), not what came back.
  timeout.status.http_method = view.status.http_method;
  timeout.status.idempotent = view.status.idempotent;
  Outcome outcome = classify(timeout);
  if (outcome.kind == OutcomeKind::success || outcome.kind == OutcomeKind::abort) outcome.kind = OutcomeKind::retryable;
  outcome.reason = reason::deadline_exceeded;
  outcome.backoff_override.reset();
  return outcome;
}

Verdict CallState::finish_attempt(AttemptView& view, const Outcome* classified, TimePoint stopped_at) {
  TimePoint end{};
  if (timed_ || timing_ || policy_->retry_gate.budget() != nullptr) end = executor_.clock.now();
  AttemptFacts facts = primary_facts();
  facts.stopped_at = stopped_at;
  const Outcome outcome = judge(facts, view, end, classified);
  return decide(outcome, view, end);
}

Outcome CallState::judge(const AttemptFacts& facts, AttemptView& view, TimePoint end, const Outcome* classified) {
  ++attempts_done_;
  last_end_ = end;
  view.attempt_index = facts.attempt->index;
  view.call_idempotent = options_.idempotent;
  view.cancelled = options_.stop.stop_requested();
  view.deadline_exceeded = timed_ && end >= facts.attempt->deadline;
  Outcome outcome = classified != nullptr ? validated(*classified) : classify(view);
  if (view.deadline_exceeded && !view.cancelled && outcome.kind != OutcomeKind::success) outcome = timed_out(view);
  record_to_budgets(outcome, end);
  if (recording()) record_attempt(facts, outcome.kind, outcome.reason, end);
  if (outcome.kind == OutcomeKind::success && policy_->latencies) policy_->latencies->record(end - facts.start);
  return outcome;
}

Verdict CallState::decide(const Outcome& outcome, const AttemptView& view, TimePoint end) {
  last_outcome_ = outcome;
  ++groups_done_;
  if (outcome.kind == OutcomeKind::success) return Verdict::succeed;

  last_exception_ = view.exception;
  last_error_ = view.error.value_or(std::error_code{});
  if (!view.has_error_value) last_error_value_.reset();
  if (!view.has_value) last_value_.reset();

  if (view.cancelled) return end_with(reason::cancelled), Verdict::fail;
  if (timed_ && end >= overall_deadline_) return end_with(reason::deadline_exceeded), Verdict::fail;
  if (outcome.kind != OutcomeKind::retryable) return end_with(outcome.reason), Verdict::fail;
  if (policy_->single_attempt || groups_done_ >= policy_->resolved.policy.retry.max_attempts)
    return end_with(reason::max_attempts), Verdict::fail;
  return Verdict::retry;
}

void CallState::record_attempt(const AttemptFacts& facts, OutcomeKind kind, std::string_view reason, TimePoint end) {
  const Attempt& attempt = *facts.attempt;
  AttemptRecord record;
  record.index = attempt.index;
  record.retry_index = attempt.retry_index;
  record.is_hedge = attempt.is_hedge;
  record.hedge_index = attempt.hedge_index;
  record.start = facts.start;
  record.end = end;
  record.kind = kind;
  record.reason = intern_reason(reason);  // records outlive the plugin that said it
  record.backoff_before = facts.backoff_before;
  record.budget_reason = facts.budget_reason.empty() ? facts.budget_reason : intern_reason(facts.budget_reason);
  // Overrun: it went on for longer than the grace after its deadline's stop request — it ignored
  // its stop token. One that stopped promptly (on a real clock, microseconds late) did not.
  record.deadline_overrun = timed_ && facts.stopped_at != TimePoint::max() &&
                            end - facts.stopped_at > executor_.options.deadline_overrun_grace;
  record.classifier_fallback = policy_->classifier_fallback;
  // Untimed, an attempt's end may have been read for a budget and its start never: no times
  // rather than a nonsense duration.
  if (!timing_ && !timed_) record.start = record.end = TimePoint{};
  if (capturing()) timeline_->attempts.push_back(record);
  if (observed(ObserverEvent::attempt)) {
    const CallInfo info = this->info();
    executor_.notify(ObserverEvent::attempt, [&](Observer& o) { o.on_attempt(info, record); });
  }
}

bool CallState::end_with(std::string_view reason) {
  // The final reason outlives the call (Failure, Timeline, Error), and a classifier's or a
  // budget's may live in a plugin that is unloaded later.
  final_reason_ = intern_reason(reason);
  return false;
}

// The delay comes first: a retry that Retry-After or the backoff would push past the deadline
// never runs, so it must not ask the budget (and drain it) either. A retry the budget granted
// and that then never ran — the caller cancelled or time ran out during its backoff — hands
// its reservation back unused.
bool CallState::prepare_retry() {
  const TimePoint now = executor_.clock.now();
  const std::optional<Duration> delay = next_delay(last_outcome_, now);
  if (!delay) return false;
  if (!ask_budget(now)) return false;
  slept_before_ = *delay;
  if (*delay > Duration::zero() && !executor_.clock.sleep_until(saturating_add(now, *delay), options_.stop))
    return abandon_retry(reason::cancelled);
  if (options_.stop.stop_requested()) return abandon_retry(reason::cancelled);
  if (timed_ && executor_.clock.now() >= overall_deadline_) return abandon_retry(reason::deadline_exceeded);
  return true;
}

bool CallState::abandon_retry(std::string_view reason) {
  reservation_.unused = true;
  return end_with(reason);
}

bool CallState::ask_budget(TimePoint now) {
  const CompiledPolicy& p = *policy_;
  const BudgetAnswer answer = p.retry_gate.ask(p.key, attempts_started_, now, reservation_);
  admitted_by_ = answer.reason;
  if (observed(ObserverEvent::budget_decision)) {
    const CallInfo info = this->info();
    const BudgetEvent event{attempts_started_, false, p.retry_gate.name(), answer.allowed, answer.reason};
    executor_.notify(ObserverEvent::budget_decision, [&](Observer& o) { o.on_budget_decision(info, event); });
  }
  return answer.allowed || end_with(answer.reason);
}

std::optional<Duration> CallState::next_delay(const Outcome& outcome, TimePoint now) {
  const RetryPolicy& retry = policy_->resolved.policy.retry;
  const bool bounded = overall_deadline_ != TimePoint::max();
  if (outcome.backoff_override) {
    // The server said when: no jitter, capped by max_retry_after (not max_backoff).
    const Duration wanted = std::clamp(*outcome.backoff_override, Duration::zero(), retry.max_retry_after);
    if (bounded && saturating_add(now, wanted) > overall_deadline_)
      return end_with(reason::retry_after_exceeds_deadline), std::nullopt;
    previous_delay_ = wanted;
    return wanted;
  }
  Duration delay;
  try {
    delay = policy_->backoff->delay(BackoffInput{groups_done_, &retry, previous_delay_});  // jittered, capped
  } catch (...) {
    return end_with(reason::backoff_error), std::nullopt;
  }
  // Sleeping into the deadline only to fail there would waste the caller's time.
  if (bounded && saturating_add(now, delay) >= overall_deadline_)
    return end_with(reason::deadline_exceeded), std::nullopt;
  previous_delay_ = delay;
  return delay;
}

void CallState::release_budget() noexcept {
  if (reservation_.held) policy_->retry_gate.release(policy_->key, reservation_);
}

void CallState::succeed() {
  settle(CallVerdict::success);
  if (timeline_ == nullptr) return;
  // Untimed (an observer's summary without times), the call takes no time rather than
  // mixing a start read for a budget with an end never read.
  timeline_->end = timing_ && attempts_done_ > 0 ? last_end_ : call_start_;
  timeline_->final_reason = reason::success;
  tell_outcome(true);
}

void CallState::tell_outcome(bool succeeded) {
  if (!observed(ObserverEvent::outcome)) return;
  const CallInfo info = this->info();
  if (succeeded) executor_.notify(ObserverEvent::outcome, [&](Observer& o) { o.on_success(info, *timeline_); });
  else executor_.notify(ObserverEvent::outcome, [&](Observer& o) { o.on_failure(info, *timeline_); });
}

Failure CallState::fail() {
  // The breaker judges the call by what the dependency did: the last attempt that reached it.
  // Whatever ended the call afterwards — a budget's no (the budget drains by design in an
  // outage, and that is when the breaker must see), max_attempts, the deadline — the dependency
  // failed. Only a call that never reached it, that the caller cancelled, or whose last answer
  // the classifier judged an abort (it says nothing of the dependency's health) is ignored.
  const bool says_nothing =
      attempts_done_ == 0 || final_reason_ == reason::cancelled || last_outcome_.kind == OutcomeKind::abort;
  settle(says_nothing ? CallVerdict::ignored : CallVerdict::failure);
  if (timeline_ != nullptr) {
    timeline_->end = timing_ ? executor_.clock.now() : call_start_;
    timeline_->final_reason = final_reason_;
    tell_outcome(false);
  }
  return Failure{final_reason_,         attempts_done_ ? last_outcome_.kind : OutcomeKind::unknown,
                 attempts_done_,        std::move(last_exception_),
                 last_error_,           std::move(last_error_value_),
                 std::move(last_value_)};
}

}  // namespace recourse::detail
