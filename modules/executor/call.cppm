// recourse.executor:call — the machinery of one call, used by Executor's templates: CallState
// (the non-template part of the retry loop, compiled once in the core) and the templates that
// invoke an operation and describe its result to a classifier.
//
// The loop itself (run_call) is a template so the operation is called directly and its value
// never leaves the caller's stack; everything that does not depend on the operation's type
// lives in CallState.
module;
#include "recourse/export.h"

#include <any>
#include <concepts>
#include <cstdint>
#include <exception>
#include <expected>
#include <functional>
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

export namespace recourse::detail {

struct ExecutorState;
struct CompiledPolicy;

enum class Verdict : std::uint8_t { succeed, fail, retry };

// Turns a stop request on the caller's token into one on the attempt's source.
struct ForwardStop {
  std::stop_source* target;
  inline void operator()() const noexcept { target->request_stop(); }
};

class RECOURSE_API CallState {
 public:
  CallState(ExecutorState& executor, const CallOptions& options) noexcept;
  ~CallState();
  CallState(const CallState&) = delete;
  CallState& operator=(const CallState&) = delete;

  // Finds the key's policy; a refusal (invalid key, no policy, ...) makes refused() true.
  void begin(std::string_view key);
  void begin(KeyHandle key);
  // Before begin(): the inline fast path already let this call through a closed breaker at
  // `start`; the breaker is not asked again.
  inline void admitted_by_circuit(std::uint64_t generation, std::optional<TimePoint> start) noexcept {
    preadmitted_ = true;
    circuit_generation_ = generation;
    preadmitted_start_ = start;
  }
  inline bool refused() const noexcept { return refused_; }

  const Attempt& start_attempt();
  // Classifies the finished attempt (unless `classified` already holds its outcome) and
  // records it; decides whether the call is over.
  Verdict finish_attempt(AttemptView& view, const Outcome* classified = nullptr);
  void end_attempt() noexcept;
  // Before the next attempt: budget, backoff, interruptible sleep. False ends the call.
  bool prepare_retry();

  void succeed();
  Failure fail();
  inline void remember_error_value(std::any value) { last_error_value_ = std::move(value); }

 private:
  void refuse(std::string_view reason);
  void open(const CompiledPolicy* policy);
  void arm_deadline(TimePoint deadline);
  bool end_with(std::string_view reason);
  Outcome classify(const AttemptView& view) noexcept;
  static Outcome validated(Outcome outcome) noexcept;
  void record_attempt(const Outcome& outcome, TimePoint end);
  bool ask_budget(TimePoint now);
  std::optional<Duration> next_delay(const Outcome& outcome, TimePoint now);
  void release_budget() noexcept;
  void close_budget_call() noexcept;
  void admit_through_circuit();
  void finish_circuit(CallVerdict verdict) noexcept;
  CallInfo info() const noexcept;
  inline bool capturing() const noexcept { return timeline_ != nullptr; }

  ExecutorState& executor_;
  const CallOptions& options_;
  const CompiledPolicy* policy_ = nullptr;
  std::string_view key_text_;
  Timeline* timeline_ = nullptr;
  std::optional<Timeline> own_timeline_;  // when observers need one and the caller gave none
  bool refused_ = false;
  bool timed_ = false;  // a deadline applies: clock reads and timers are needed

  Attempt attempt_;
  int attempts_done_ = 0;
  TimePoint call_start_{};
  TimePoint attempt_start_{};
  TimePoint overall_deadline_ = TimePoint::max();
  std::optional<std::stop_source> attempt_stop_;
  std::optional<std::stop_callback<ForwardStop>> forward_stop_;
  TimerId deadline_timer_ = 0;

  Outcome last_outcome_;
  std::string_view final_reason_;
  std::exception_ptr last_exception_;
  std::error_code last_error_;
  std::any last_error_value_;

  // The retry budget reservation for the attempt about to run (or running).
  bool budget_call_open_ = false;  // call_started() was sent to the retry budget
  bool circuit_admitted_ = false;  // the breaker let this call through and awaits its end
  std::uint64_t circuit_generation_ = 0;
  bool preadmitted_ = false;
  std::optional<TimePoint> preadmitted_start_;  // set when the breaker needs call times
  bool budget_refused_retry_ = false;          // the call ended on a budget's no
  int reservation_attempt_ = 0;                // the attempt the held reservation admits
  bool circuit_probe_ = false;
  bool reservation_held_ = false;
  std::uint64_t reservation_token_ = 0;
  std::string_view admitted_by_;  // budget reason recorded on the next attempt
  Duration slept_before_{};
  Duration previous_delay_{};
};

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
        if constexpr (!std::is_void_v<R>) view.status = protocol_status_of(*returned);
        if constexpr (std::is_void_v<R>) result.value.emplace();
        else result.value.emplace(std::move(*returned));
        view.has_value = true;
      } else {
        view.status = protocol_status_of(returned.error());
        if constexpr (std::is_same_v<E, std::error_code>) {
          view.error = returned.error();
        } else {
          view.has_error_value = true;
          result.error_value = std::move(returned.error());
        }
      }
    } else {
      result.value.emplace(std::invoke(op, attempt));
      view.status = protocol_status_of(*result.value);
      view.has_value = true;
    }
  } catch (...) {
    view.exception = std::current_exception();
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

// Attempts until the call is decided; `call` has begun and was not refused.
template <class Op>
std::expected<ResultOf<Op>, Failure> run_attempts(CallState& call, Op& op) {
  using R = ResultOf<Op>;
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
    if (verdict == Verdict::fail || !call.prepare_retry()) return std::unexpected(call.fail());
  }
}

template <class Op>
std::expected<ResultOf<Op>, Failure> run_call(CallState& call, Op& op) {
  if (call.refused()) return std::unexpected(call.fail());
  return run_attempts(call, op);
}

// The call as a whole, off the fast path. Not inlined: it keeps the fast path small.
template <class Op, class KeyArg>
[[gnu::noinline]] std::expected<ResultOf<Op>, Failure> run_full(ExecutorState& executor, KeyArg key, Op& op,
                                                                 const CallOptions& options) {
  CallState call(executor, options);
  call.begin(key);
  return run_call(call, op);
}

// After a fast-path attempt 0 that did not succeed: the call goes on in CallState with that
// attempt's outcome, so every decision is the one the full loop would have made.
template <class Op, class KeyArg, class R = ResultOf<Op>>
[[gnu::noinline]] std::expected<R, Failure> continue_after_first(ExecutorState& executor, KeyArg key, Op& op,
                                                                 const CallOptions& options, AttemptResult<R>& first,
                                                                 const Outcome& outcome, bool admitted_by_circuit,
                                                                 std::uint64_t generation,
                                                                 std::optional<TimePoint> start) {
  CallState call(executor, options);
  if (admitted_by_circuit) call.admitted_by_circuit(generation, start);
  call.begin(key);
  if (first.view.has_error_value) call.remember_error_value(std::move(first.error_value));
  if (call.finish_attempt(first.view, &outcome) == Verdict::fail || !call.prepare_retry())
    return std::unexpected(call.fail());
  return run_attempts(call, op);
}

// A fast-path success the breaker must count (a failure-rate window, or failures to reset).
RECOURSE_API void record_success(CircuitBreaker& breaker, std::uint64_t generation, Clock& clock,
                                 std::optional<TimePoint> start) noexcept;

// The fast path: the key's policy is cached and plain (PolicyHead::fast_classifier) and no
// timeline is asked for. Attempt 0 runs inline; only a call it does not settle leaves.
template <class Op, class KeyArg>
inline std::expected<ResultOf<Op>, Failure> run(ExecutorState& executor, const PolicyHead* head, KeyArg key, Op& op,
                                                const CallOptions& options) {
  using R = ResultOf<Op>;
  if (head == nullptr || head->fast_classifier == nullptr || options.timeline != nullptr) [[unlikely]]
    return run_full(executor, key, op, options);
  CircuitBreaker* const breaker = head->breaker;
  std::optional<TimePoint> start;
  std::uint64_t generation = 0;
  if (breaker != nullptr) {
    if (!breaker->closed()) [[unlikely]]
      return run_full(executor, key, op, options);  // open or half-open: the full admission
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
  if (head->plain_value_succeeds && view.has_value && !view.cancelled && !view.status.has_http() &&
      !view.status.has_grpc()) [[likely]] {
    if (breaker != nullptr && !breaker->success_changes_nothing())
      record_success(*breaker, generation, *head->clock, start);
    if constexpr (std::is_void_v<R>) return {};
    else return std::move(*result.value);
  }
  Outcome outcome;
  try {
    outcome = head->fast_classifier->classify(view);
  } catch (...) {
    outcome = Outcome{OutcomeKind::non_retryable, reason::classifier_error, std::nullopt};
  }
  if (outcome.kind == OutcomeKind::success) [[likely]] {
    if (breaker != nullptr && !breaker->success_changes_nothing())
      record_success(*breaker, generation, *head->clock, start);
    if constexpr (std::is_void_v<R>) return {};
    else return std::move(*result.value);
  }
  return continue_after_first(executor, key, op, options, result, outcome, breaker != nullptr, generation, start);
}

}  // namespace recourse::detail
