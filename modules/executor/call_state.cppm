// recourse.executor:call_state — the non-template part of a call, compiled once in the core:
// CallState (policy lookup, classification, budgets, backoff, deadlines, the breaker, the
// timeline) and AttemptControl (one attempt's stop source and deadline timer). The templates
// in :call drive them.
module;
#include "recourse/export.h"

#include <any>
#include <atomic>
#include <cstdint>
#include <exception>
#include <optional>
#include <stop_token>
#include <string_view>
#include <system_error>
#include <utility>

export module recourse.executor:call_state;

import recourse.plugin;
import :failure;
import :options;
import :circuit_breaker;
import :budget_gate;
import :key_index;

namespace recourse::detail {

struct ExecutorState;
struct CompiledPolicy;

enum class Verdict : std::uint8_t { succeed, fail, retry };

// Turns a stop request on the caller's token into one on the attempt's source.
struct ForwardStop {
  std::stop_source* target;
  inline void operator()() const noexcept { target->request_stop(); }
};

// The stop source and deadline timer of one running attempt: its token is stopped by the
// caller's token, by the deadline, or by request_stop() (a hedge group deciding).
class RECOURSE_API AttemptControl {
 public:
  // Whether an unstopped source goes back to its thread for the next attempt (see
  // attempt_control.cpp). Not for a hedge's: a group may still hold a copy to stop it.
  enum class Sources : bool { fresh, recycled };
  AttemptControl() = default;
  explicit AttemptControl(Sources sources) noexcept : recycles_(sources == Sources::recycled) {}
  AttemptControl(const AttemptControl&) = delete;
  AttemptControl& operator=(const AttemptControl&) = delete;
  ~AttemptControl();
  std::stop_token arm(Clock& clock, const std::stop_token& caller, TimePoint deadline);
  // arm() that lends the token instead of copying it: `to` takes it (a move: no reference
  // count), and take_back must return it before disarm, so it is recycled with its source.
  void arm_and_lend(Clock& clock, const std::stop_token& caller, TimePoint deadline, std::stop_token& to);
  inline void take_back(std::stop_token& from) noexcept { token_ = std::move(from); }
  // Cancels the timer (waiting for one that is firing) and the forwarding.
  void disarm() noexcept;
  inline std::stop_source source() const { return *stop_; }
  // When the deadline's stop request went out (TimePoint::max(): it did not). An operation is
  // judged by how long it took to return after being told, not after the deadline itself: a
  // real clock's timer thread may be late, and that is not the operation's fault.
  inline TimePoint stopped_at() const noexcept {
    return TimePoint(Duration(stopped_at_.load(std::memory_order_acquire)));
  }

 private:
  void deadline_passed() noexcept;

  // An unstopped source per attempt: a stopped one cannot be reset, and the next attempt must
  // start unstopped.
  std::optional<std::stop_source> stop_;
  std::stop_token token_;  // stop_'s, kept with it: lending it costs no reference count
  bool recycles_ = false;
  std::optional<std::stop_callback<ForwardStop>> forward_;
  Clock* clock_ = nullptr;
  TimerId timer_ = 0;
  std::atomic<Duration::rep> stopped_at_{Duration::max().count()};
};

// What the timeline says of an attempt besides its outcome.
struct AttemptFacts {
  const Attempt* attempt;
  TimePoint start;
  Duration backoff_before;
  std::string_view budget_reason;
  TimePoint stopped_at;  // AttemptControl::stopped_at()
};

class HedgeGroup;

// Attempt 0 as the fast path ran it, for CallState::resume.
struct FirstAttempt {
  AttemptView& view;
  const Outcome* outcome = nullptr;  // the fast path's classifier's answer (null: not asked)
  bool circuit_admitted = false;     // a closed breaker let it through...
  std::uint64_t circuit_generation = 0;
  std::optional<TimePoint> start;  // ...at this time, when the breaker needs call times
  // A timed policy's attempt 0: when the call (and the attempt) began, and its deadline.
  std::optional<TimePoint> call_start;
  TimePoint deadline = TimePoint::max();
  TimePoint stopped_at = TimePoint::max();  // when its deadline's stop request went out
  bool start_told = false;  // its observers already heard the call start (a watched policy)
};

class RECOURSE_API CallState {
 public:
  CallState(ExecutorState& executor, const CallOptions& options) noexcept;
  ~CallState();
  CallState(const CallState&) = delete;
  CallState& operator=(const CallState&) = delete;

  // Opens the call under `found` — the policy Executor::try_run already found for the key —
  // or, when it found none, under the policy compiled for the key now. A refusal (invalid key,
  // no policy, ...) makes refused() true.
  void begin(std::string_view key, const PolicyHead* found);
  void begin(KeyHandle key, const PolicyHead* found);
  // The other way in: attempt 0 already ran on the inline fast path (call.cppm) under `found`
  // and did not settle the call. The call opens, takes that attempt as its first — recorded and
  // decided as the full loop would have — and goes on from there.
  template <class KeyArg>
  inline Verdict resume(KeyArg key, const PolicyHead* found, const FirstAttempt& first) {
    if (first.circuit_admitted) {
      preadmitted_ = true;  // through a closed breaker: it is not asked again
      circuit_generation_ = first.circuit_generation;
      preadmitted_start_ = first.start;
    }
    resumed_start_ = first.call_start;
    start_told_ = first.start_told;
    begin(key, found);
    attempts_started_ = 1;  // attempt 0, which ran inline: the next is attempt 1
    if (first.call_start) {
      attempt_start_ = *first.call_start;
      attempt_.deadline = first.deadline;
    }
    return finish_attempt(first.view, first.outcome, first.stopped_at);
  }
  inline bool refused() const noexcept { return refused_; }
  // The policy races hedges: attempts go through run_hedged.
  bool hedged() const noexcept;

  const Attempt& start_attempt();
  // Classifies the finished attempt and records it; decides whether the call is over.
  inline Verdict finish_attempt(AttemptView& view) { return finish_attempt(view, nullptr, control_.stopped_at()); }
  void end_attempt() noexcept;
  // Before the next attempt: budget, backoff, interruptible sleep. False ends the call.
  bool prepare_retry();

  void succeed();
  Failure fail();
  inline void remember_error_value(std::any value) { last_error_value_ = std::move(value); }
  // The value a failed attempt returned (an HTTP 503 with its body): the Failure carries it.
  inline void remember_value(std::any value) { last_value_ = std::move(value); }

  // --- What a HedgeGroup uses: a group is one step of this call, raced. Nothing else of the
  // call is the group's business. ---------------------------------------------------------
  inline const CompiledPolicy& policy() const noexcept { return *policy_; }
  inline ExecutorState& executor() const noexcept { return executor_; }
  // A half-open probe must stay one attempt: it is never hedged.
  inline bool probing() const noexcept { return circuit_probe_; }
  inline int group_index() const noexcept { return groups_done_; }
  inline TimePoint overall_deadline() const noexcept { return overall_deadline_; }
  inline int attempts_started() const noexcept { return attempts_started_; }
  // The primary's admission (the retry budget's answer) and the backoff slept before it.
  inline std::string_view primary_admission() const noexcept { return admitted_by_; }
  inline Duration primary_backoff() const noexcept { return slept_before_; }
  // Numbers a new attempt starting at `now` and gives it what every attempt of the call shares
  // (index, policy id, deadline); the caller arms its stop with caller_stop().
  Attempt number_attempt(TimePoint now) noexcept;
  inline const std::stop_token& caller_stop() const noexcept { return options_.stop; }
  // A finished attempt: judged (classified, told to the budgets, recorded), or — a hedge the
  // group had already stopped — only counted and recorded as hedge_cancelled.
  Outcome judge(const AttemptFacts& facts, AttemptView& view, TimePoint end, const Outcome* classified);
  void count_cancelled_hedge(const AttemptFacts& facts, TimePoint end);
  // The call after the group (or an attempt) came to `outcome`.
  Verdict decide(const Outcome& outcome, const AttemptView& view, TimePoint end);
  // The retry budget's reservation admitted the group; the group is over.
  void release_budget() noexcept;
  CallInfo info() const noexcept;

 private:
  // `classified`: the fast path's classifier already answered for this attempt.
  // `stopped_at`: this attempt's AttemptControl::stopped_at() — control_'s, or the inline path's.
  Verdict finish_attempt(AttemptView& view, const Outcome* classified, TimePoint stopped_at);
  // Everything a call holds outside itself, given back once: the budget reservation, the
  // budgets' call count, the breaker's admission. `verdict` is what the breaker counts.
  void settle(CallVerdict verdict) noexcept;
  void refuse(std::string_view reason);
  void open(const CompiledPolicy* policy);
  bool end_with(std::string_view reason);
  Outcome classify(const AttemptView& view) noexcept;
  static Outcome validated(Outcome outcome) noexcept;
  Outcome timed_out(const AttemptView& view) noexcept;
  bool abandon_retry(std::string_view reason);
  TimePoint attempt_deadline(TimePoint start) const noexcept;
  void record_attempt(const AttemptFacts& facts, OutcomeKind kind, std::string_view reason, TimePoint end);
  inline AttemptFacts primary_facts() const noexcept {
    return {&attempt_, attempt_start_, slept_before_, admitted_by_, control_.stopped_at()};
  }
  void record_to_budgets(const Outcome& outcome, TimePoint end) noexcept;
  bool ask_budget(TimePoint now);
  std::optional<Duration> next_delay(const Outcome& outcome, TimePoint now);
  void close_budget_call() noexcept;
  void admit_through_circuit();
  void finish_circuit(CallVerdict verdict) noexcept;
  // Attempts go into the timeline (the caller's, or whole for an observer that wants it).
  inline bool capturing() const noexcept { return whole_timeline_; }
  // Each attempt is recorded: for the timeline or for an observer of attempts.
  bool recording() const noexcept;
  bool observed(ObserverEvent event) const noexcept;  // some observer wants it
  Timeline* observers_timeline();
  void tell_outcome(bool succeeded);

  ExecutorState& executor_;
  const CallOptions& options_;
  const CompiledPolicy* policy_ = nullptr;
  std::string_view key_text_;
  Timeline* timeline_ = nullptr;  // the caller's, or one for the observers of outcomes
  std::optional<Timeline> own_timeline_;  // for them, when this thread's spare is taken
  bool spare_taken_ = false;              // timeline_ is this thread's spare
  bool whole_timeline_ = false;           // timeline_ gets every attempt, not only the summary
  bool timing_ = false;   // times are recorded: the caller's timeline, or an observer of times
  bool refused_ = false;
  bool timed_ = false;  // the clock is read: a deadline applies, or hedges are timed
  bool start_told_ = false;  // the inline path that ran attempt 0 told the observers of the start

  Attempt attempt_;
  int attempts_started_ = 0;
  int attempts_done_ = 0;
  int groups_done_ = 0;  // attempts without hedging; with it, groups (a primary and its hedges)
  TimePoint call_start_{};
  TimePoint attempt_start_{};
  TimePoint last_end_{};  // when the last judged attempt ended
  TimePoint overall_deadline_ = TimePoint::max();
  AttemptControl control_{AttemptControl::Sources::recycled};  // never a hedge's: no one else stops it

  Outcome last_outcome_;
  std::string_view final_reason_;
  std::exception_ptr last_exception_;
  std::error_code last_error_;
  std::any last_error_value_;
  std::any last_value_;

  bool settled_ = false;            // settle() ran
  bool budget_calls_open_ = false;  // call_started() was sent to the policy's budgets
  bool circuit_admitted_ = false;   // the breaker let this call through and awaits its end
  std::uint64_t circuit_generation_ = 0;
  bool preadmitted_ = false;
  std::optional<TimePoint> preadmitted_start_;  // set when the breaker needs call times
  std::optional<TimePoint> resumed_start_;      // a timed attempt 0's start: the call's
  bool circuit_probe_ = false;
  BudgetReservation reservation_;  // the retry budget's, for the attempt about to run (or running)
  std::string_view admitted_by_;  // budget reason recorded on the next attempt
  Duration slept_before_{};
  Duration previous_delay_{};
};

}  // namespace recourse::detail
