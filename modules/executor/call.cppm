// recourse.executor:call — the templates of one call: they invoke the operation, describe its
// result to a classifier, and drive CallState (and a HedgeGroup when the policy hedges).
//
// The loop itself (run_call) is a template so the operation is called directly and its value
// never leaves the caller's stack; everything that does not depend on the operation's type
// lives in CallState.
module;
#include "recourse/export.h"

#include <any>
#include <array>
#include <cstddef>
#include <concepts>
#include <cstdint>
#include <exception>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

export module recourse.executor:call;

import recourse.plugin;
import :failure;
import :options;
import :key_index;
import :circuit_breaker;
import :call_state;
import :hedge_group;
import :watched_first;

namespace recourse::detail {

// --- the operation's side: result types and invocation --------------------------------------

template <class T>
struct ExpectedTraits : std::false_type {};
template <class T, class E>
struct ExpectedTraits<std::expected<T, E>> : std::true_type {
  using value_type = T;
  using error_type = E;
};

template <class Op>
using RawResult = std::invoke_result_t<Op&, const Attempt&>;

template <class Raw>
struct ResultOfRaw {
  using type = Raw;
};
template <>
struct ResultOfRaw<std::error_code> {
  using type = void;
};
template <class T, class E>
struct ResultOfRaw<std::expected<T, E>> {
  using type = T;
};

// What run() returns for an operation: its value type (void for void or error_code ops).
template <class Op>
using ResultOf = typename ResultOfRaw<std::remove_cvref_t<RawResult<Op>>>::type;

template <class R>
using Stored = std::conditional_t<std::is_void_v<R>, std::monostate, R>;

template <class R>
struct AttemptResult {
  std::optional<Stored<R>> value;
  AttemptView view;
  std::any error_value;  // the E of a std::expected<T, E> that failed
};

// `view.status` starts as "none": a type without a protocol status leaves it untouched (assigning
// a default one cost a store-forwarding stall on every attempt).
template <class Op, class R = ResultOf<Op>>
inline void invoke_attempt(Op& op, const Attempt& attempt, AttemptResult<R>& result) {
  using Raw = std::remove_cvref_t<RawResult<Op>>;
  AttemptView& view = result.view;
  try {
    if constexpr (std::is_void_v<Raw>) {
      std::invoke(op, attempt);
      result.value.emplace();
      view.has_value = true;
    } else if constexpr (std::is_same_v<Raw, std::error_code>) {
      const std::error_code ec = std::invoke(op, attempt);
      if (ec) {
        view.error = ec;
      } else {
        result.value.emplace();
        view.has_value = true;
      }
    } else if constexpr (ExpectedTraits<Raw>::value) {
      using E = typename ExpectedTraits<Raw>::error_type;
      Raw returned = std::invoke(op, attempt);
      if (returned.has_value()) {
        if constexpr (!std::is_void_v<R> && HasProtocolStatus<R>) view.status = protocol_status_of(*returned);
        if constexpr (std::is_void_v<R>) result.value.emplace();
        else result.value.emplace(std::move(*returned));
        view.has_value = true;
      } else {
        if constexpr (HasProtocolStatus<E>) view.status = protocol_status_of(returned.error());
        if constexpr (std::is_same_v<E, std::error_code>) {
          view.error = returned.error();
        } else {
          view.has_error_value = true;
          result.error_value = std::move(returned.error());
        }
      }
    } else {
      result.value.emplace(std::invoke(op, attempt));
      if constexpr (HasProtocolStatus<R>) view.status = protocol_status_of(*result.value);
      view.has_value = true;
    }
  } catch (...) {
    view.exception = std::current_exception();
  }
}

// A failed attempt's value (an HTTP 503 response with its body) goes into the Failure: as itself
// when it can be copied (std::any needs that), behind a shared_ptr when it cannot.
template <class R>
inline void remember_failed_value(CallState& call, std::optional<Stored<R>>& value) {
  if constexpr (!std::is_void_v<R>) {
    if (!value) return;
    if constexpr (std::is_copy_constructible_v<R>) call.remember_value(std::any(std::move(*value)));
    else call.remember_value(std::any(std::make_shared<R>(std::move(*value))));
  }
}

// Ends the attempt (timers, budget reservation) however the scope is left.
class AttemptScope {
 public:
  // `inline` throughout: members defined in a module's class are not implicitly inline, and
  // this is the hot path.
  inline explicit AttemptScope(CallState& call) : call_(call), attempt_(call.start_attempt()) {}
  inline ~AttemptScope() { call_.end_attempt(); }
  AttemptScope(const AttemptScope&) = delete;
  AttemptScope& operator=(const AttemptScope&) = delete;
  inline const Attempt& attempt() const noexcept { return attempt_; }

 private:
  CallState& call_;
  const Attempt& attempt_;
};

// A hedged call: each group races the primary (on this thread) and its hedges (on the
// executor's pool) over one results array; the group says whose result decided.
template <class Op>
std::expected<ResultOf<Op>, Failure> run_hedged(CallState& call, Op& op) {
  using R = ResultOf<Op>;
  struct Group {
    Op* op;
    std::array<AttemptResult<R>, max_group_size> results;
  };
  for (;;) {
    Group slots{&op, {}};
    HedgeGroup::Result decided;
    {
      HedgeGroup group(
          call,
          [](void* context, const Attempt& attempt, int slot) -> AttemptView& {
            Group& g = *static_cast<Group*>(context);
            AttemptResult<R>& result = g.results[static_cast<std::size_t>(slot)];
            invoke_attempt<Op, R>(*g.op, attempt, result);
            return result.view;
          },
          &slots);
      decided = group.run();
    }
    AttemptResult<R>& result = slots.results[static_cast<std::size_t>(decided.slot)];
    if (decided.verdict == Verdict::succeed) {
      call.succeed();
      if constexpr (std::is_void_v<R>) return {};
      else return std::move(*result.value);
    }
    if (result.view.has_error_value) call.remember_error_value(std::move(result.error_value));
    remember_failed_value<R>(call, result.value);
    if (decided.verdict == Verdict::fail || !call.prepare_retry()) return std::unexpected(call.fail());
  }
}

// Attempts until the call is decided; `call` has begun and was not refused.
template <class Op>
std::expected<ResultOf<Op>, Failure> run_attempts(CallState& call, Op& op) {
  using R = ResultOf<Op>;
  if (call.hedged()) return run_hedged(call, op);
  for (;;) {
    AttemptResult<R> result;
    Verdict verdict;
    {
      AttemptScope scope(call);
      invoke_attempt<Op, R>(op, scope.attempt(), result);
      if (result.view.has_error_value) call.remember_error_value(std::move(result.error_value));
      verdict = call.finish_attempt(result.view);
    }
    if (verdict == Verdict::succeed) {
      call.succeed();
      if constexpr (std::is_void_v<R>) return {};
      else return std::move(*result.value);
    }
    remember_failed_value<R>(call, result.value);
    if (verdict == Verdict::fail || !call.prepare_retry()) return std::unexpected(call.fail());
  }
}

template <class Op>
std::expected<ResultOf<Op>, Failure> run_call(CallState& call, Op& op) {
  if (call.refused()) return std::unexpected(call.fail());
  return run_attempts(call, op);
}

// The call as a whole, off the fast path. Not inlined: it keeps the fast path small.
// `found`: the key's policy as try_run found it in the indexes (null: not compiled yet).
template <class Op, class KeyArg>
[[gnu::noinline]] std::expected<ResultOf<Op>, Failure> run_full(ExecutorState& executor, const PolicyHead* found,
                                                                KeyArg key, Op& op, const CallOptions& options) {
  CallState call(executor, options);
  call.begin(key, found);
  return run_call(call, op);
}

// After a fast-path attempt 0 that did not succeed: the call goes on in CallState with that
// attempt's outcome, so every decision is the one the full loop would have made.
template <class Op, class KeyArg, class R = ResultOf<Op>>
[[gnu::noinline]] std::expected<R, Failure> continue_after_first(ExecutorState& executor, const PolicyHead* found,
                                                                 KeyArg key, Op& op, const CallOptions& options,
                                                                 AttemptResult<R>& first, const FirstAttempt& facts) {
  CallState call(executor, options);
  if (first.view.has_error_value) call.remember_error_value(std::move(first.error_value));
  const Verdict verdict = call.resume(key, found, facts);
  // A timed attempt 0 its deadline stopped comes here unjudged, and may yet be a success (an
  // operation that ignored its token, or finished as the timer fired): the value goes back,
  // as the full loop gives it; it is never run again.
  if (verdict == Verdict::succeed) {
    call.succeed();
    if constexpr (std::is_void_v<R>) return {};
    else return std::move(*first.value);
  }
  remember_failed_value<R>(call, first.value);
  if (verdict == Verdict::fail || !call.prepare_retry()) return std::unexpected(call.fail());
  return run_attempts(call, op);
}

// A fast-path success the breaker must count (a failure-rate window, or failures to reset).
RECOURSE_API void record_success(CircuitBreaker& breaker, std::uint64_t generation, Clock& clock,
                                 std::optional<TimePoint> start) noexcept;

// Attempt 0's deadline on the fast path: the earlier of the per-attempt and overall timeouts
// from the call's start (which is attempt 0's).
inline TimePoint first_deadline(const PolicyHead& head, TimePoint start) noexcept {
  TimePoint deadline = TimePoint::max();
  if (head.overall_timeout > Duration::zero()) deadline = saturating_add(start, head.overall_timeout);
  if (head.per_attempt_timeout > Duration::zero())
    deadline = std::min(deadline, saturating_add(start, head.per_attempt_timeout));
  return deadline;
}

// Attempt 0 on the fast path succeeded when its classifier says so, without asking a built-in
// one that calls any plain value a success (no failing protocol status, caller not cancelled).
inline bool plainly_succeeded(const PolicyHead& head, const AttemptView& view) noexcept {
  return head.plain_value_succeeds && view.has_value && !view.cancelled && !view.status.has_http() &&
         !view.status.has_grpc();
}

inline Outcome classify_first(const Classifier& classifier, const AttemptView& view) noexcept {
  try {
    return classifier.classify(view);
  } catch (...) {
    return Outcome{OutcomeKind::non_retryable, reason::classifier_error, std::nullopt};
  }
}

// A fast-path success: the breaker counts it if it must; the value goes back.
template <class R>
inline std::expected<R, Failure> first_succeeded(const PolicyHead& head, CircuitBreaker* breaker,
                                                 std::uint64_t generation, std::optional<TimePoint> start,
                                                 AttemptResult<R>& result) {
  if (breaker != nullptr && !breaker->success_changes_nothing())
    record_success(*breaker, generation, *head.clock, start);
  if constexpr (std::is_void_v<R>) return {};
  else return std::move(*result.value);
}

// A watched fast-path success: its observers are told (and the breaker counts it) out of line.
template <class R>
inline std::expected<R, Failure> watched_first_succeeded(ExecutorState& executor, const PolicyHead& head,
                                                         std::string_view key, TimePoint start, TimePoint end,
                                                         std::uint64_t generation, Timeline* timeline,
                                                         AttemptResult<R>& result) {
  tell_first_success(executor, head, key, start, end, generation, timeline);
  if constexpr (std::is_void_v<R>) return {};
  else return std::move(*result.value);
}

// The fast path of a policy with timeouts: attempt 0 under its deadline — one clock read (the
// call's start), the timer armed and cancelled in the thread's lane (SystemClock), the stop
// state recycled. A success needs no second read: it is a success whenever it came. One its
// deadline stopped goes to CallState, which judges it with its end time as the full loop would.
template <class Op, class KeyArg, class R = ResultOf<Op>>
[[gnu::noinline]] std::expected<R, Failure> run_timed_first(ExecutorState& executor, const PolicyHead* head, KeyArg key,
                                                            Op& op, const CallOptions& options) {
  CircuitBreaker* const breaker = head->breaker;
  std::optional<TimePoint> start;  // the breaker's call time, when it needs one
  std::uint64_t generation = 0;
  if (breaker != nullptr) {
    if (!breaker->closed()) return run_full(executor, head, key, op, options);
    generation = breaker->generation();
    if (breaker->needs_time()) start = head->clock->now();
  }
  AttemptResult<R> result;
  FirstAttempt facts{result.view, nullptr, breaker != nullptr, generation, start};
  facts.call_start = start ? *start : head->clock->now();
  facts.deadline = first_deadline(*head, *facts.call_start);
  facts.start_told = head->watched_start;
  if (head->watched_start) [[unlikely]]
    tell_call_started(executor, *head, key_text(key), *facts.call_start);
  bool deadline_passed = false;
  {
    AttemptControl control(AttemptControl::Sources::recycled);
    Attempt attempt;
    control.arm_and_lend(*head->clock, options.stop, facts.deadline, attempt.stop);
    attempt.deadline = facts.deadline;
    attempt.policy_id = head->policy_id;
    invoke_attempt<Op, R>(op, attempt, result);
    control.take_back(attempt.stop);
    facts.stopped_at = control.stopped_at();
    deadline_passed = facts.stopped_at != TimePoint::max();
  }  // the timer cancelled before anything else happens
  AttemptView& view = result.view;
  view.call_idempotent = options.idempotent;
  view.cancelled = options.stop.stop_requested();
  if (deadline_passed) [[unlikely]]
    return continue_after_first(executor, head, key, op, options, result, facts);
  Outcome outcome;
  const bool succeeded = plainly_succeeded(*head, view) ||
                         (outcome = classify_first(*head->timed_classifier, view)).kind == OutcomeKind::success;
  if (succeeded) [[likely]] {
    if (head->watched || options.timeline != nullptr) [[unlikely]]  // a timed record has times: the end is read
      return watched_first_succeeded<R>(executor, *head, key_text(key), *facts.call_start, head->clock->now(),
                                        generation, options.timeline, result);
    return first_succeeded<R>(*head, breaker, generation, start, result);
  }
  facts.outcome = &outcome;
  return continue_after_first(executor, head, key, op, options, result, facts);
}

// The fast path of a plain policy whose calls are told about — observers watch them, or the
// caller passed a Timeline (PolicyHead::watched_classifier): attempt 0 inline, as run() runs
// it, and its success told out of line. The call's start is read when CallState would read it
// (times wanted, a breaker), the end with times.
template <class Op, class KeyArg, class R = ResultOf<Op>>
[[gnu::noinline]] std::expected<R, Failure> run_watched_first(ExecutorState& executor, const PolicyHead* head,
                                                              KeyArg key, Op& op, const CallOptions& options) {
  CircuitBreaker* const breaker = head->breaker;
  std::uint64_t generation = 0;
  if (breaker != nullptr) {
    if (!breaker->closed()) return run_full(executor, head, key, op, options);
    generation = breaker->generation();
  }
  const bool times = head->watched_times || options.timeline != nullptr;
  std::optional<TimePoint> start;
  if (times || breaker != nullptr) start = head->clock->now();
  const TimePoint call_start = start.value_or(TimePoint{});
  if (head->watched_start) tell_call_started(executor, *head, key_text(key), call_start);
  AttemptResult<R> result;
  {
    Attempt attempt;
    attempt.stop = options.stop;
    attempt.policy_id = head->policy_id;
    invoke_attempt<Op, R>(op, attempt, result);
  }
  AttemptView& view = result.view;
  view.call_idempotent = options.idempotent;
  view.cancelled = options.stop.stop_requested();
  Outcome outcome;
  const bool succeeded = plainly_succeeded(*head, view) ||
                         (outcome = classify_first(*head->watched_classifier, view)).kind == OutcomeKind::success;
  if (succeeded) [[likely]] {
    const TimePoint end = times ? head->clock->now() : TimePoint{};
    return watched_first_succeeded<R>(executor, *head, key_text(key), call_start, end, generation, options.timeline,
                                      result);
  }
  FirstAttempt facts{view, &outcome, breaker != nullptr, generation,
                     breaker != nullptr && breaker->needs_time() ? start : std::nullopt};
  facts.call_start = start;
  facts.start_told = head->watched_start;
  return continue_after_first(executor, head, key, op, options, result, facts);
}

// Off the plain fast path: a timed or watched policy's own fast path, or the full call.
template <class Op, class KeyArg>
[[gnu::noinline]] std::expected<ResultOf<Op>, Failure> run_other(ExecutorState& executor, const PolicyHead* head,
                                                                 KeyArg key, Op& op, const CallOptions& options) {
  if (head != nullptr && !options.stop.stop_requested()) {
    if (head->timed_classifier != nullptr) return run_timed_first(executor, head, key, op, options);
    if (head->watched_classifier != nullptr) return run_watched_first(executor, head, key, op, options);
  }
  return run_full(executor, head, key, op, options);
}

// The fast path: the key's policy is cached and plain (PolicyHead::fast_classifier) and no
// timeline is asked for. Attempt 0 runs inline; only a call it does not settle leaves.
template <class Op, class KeyArg>
inline std::expected<ResultOf<Op>, Failure> run(ExecutorState& executor, const PolicyHead* head, KeyArg key, Op& op,
                                                const CallOptions& options) {
  using R = ResultOf<Op>;
  // A caller that cancelled before the call gets no attempt at all (CallState refuses it).
  if (head == nullptr || head->fast_classifier == nullptr || options.timeline != nullptr ||
      options.stop.stop_requested()) [[unlikely]]
    return run_other(executor, head, key, op, options);
  CircuitBreaker* const breaker = head->breaker;
  std::optional<TimePoint> start;
  std::uint64_t generation = 0;
  if (breaker != nullptr) {
    if (!breaker->closed()) [[unlikely]]
      return run_full(executor, head, key, op, options);  // open or half-open: the full admission
    generation = breaker->generation();
    if (breaker->needs_time()) start = head->clock->now();
  }
  AttemptResult<R> result;
  {
    Attempt attempt;
    attempt.stop = options.stop;
    attempt.policy_id = head->policy_id;
    invoke_attempt<Op, R>(op, attempt, result);
  }
  AttemptView& view = result.view;
  view.call_idempotent = options.idempotent;
  view.cancelled = options.stop.stop_requested();
  if (plainly_succeeded(*head, view)) [[likely]]
    return first_succeeded<R>(*head, breaker, generation, start, result);
  const Outcome outcome = classify_first(*head->fast_classifier, view);
  if (outcome.kind == OutcomeKind::success) [[likely]]
    return first_succeeded<R>(*head, breaker, generation, start, result);
  FirstAttempt facts{view, &outcome, breaker != nullptr, generation, start};
  return continue_after_first(executor, head, key, op, options, result, facts);
}

}  // namespace recourse::detail

export namespace recourse {

// What Executor::run returns for an operation: its value type (void for void or error_code ops).
template <class Op>
using ResultOf = detail::ResultOf<Op>;

}  // namespace recourse
