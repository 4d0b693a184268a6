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
  AttemptControl() = default;
  AttemptControl(const AttemptControl&) = delete;
  AttemptControl& operator=(const AttemptControl&) = delete;
  ~AttemptControl();
  std::stop_token arm(Clock& clock, const std::stop_token& caller, TimePoint deadline);
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

  // A fresh source per attempt: a stopped source cannot be reset, and the next attempt must
  // start unstopped.
  std::optional<std::stop_source> stop_;
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
  // The policy races hedges: attempts go through run_hedged.
  bool hedged() const noexcept;

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
  // The value a failed attempt returned (an HTTP 503 with its body): the Failure carries it.
  inline void remember_value(std::any value) { last_value_ = std::move(value); }

 private:
  friend class HedgeGroup;

  void refuse(std::string_view reason);
  void open(const CompiledPolicy* policy);
  bool end_with(std::string_view reason);
  Outcome classify(const AttemptView& view) noexcept;
  static Outcome validated(Outcome outcome) noexcept;
  Outcome timed_out(const AttemptView& view) noexcept;
  bool abandon_retry(std::string_view reason);
  TimePoint attempt_deadline(TimePoint start) const noexcept;
  // One finished attempt: classified, told to the budgets, recorded, its latency sampled.
  Outcome judge(const AttemptFacts& facts, AttemptView& view, TimePoint end, const Outcome* classified);
  // The call after an attempt — or a whole hedge group — came to `outcome`.
  Verdict decide(const Outcome& outcome, const AttemptView& view, TimePoint end);
  void record_attempt(const AttemptFacts& facts, OutcomeKind kind, std::string_view reason, TimePoint end);
  inline AttemptFacts primary_facts() const noexcept {
    return {&attempt_, attempt_start_, slept_before_, admitted_by_, control_.stopped_at()};
  }
  void record_to_budgets(const Outcome& outcome, TimePoint end) noexcept;
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
  bool timed_ = false;  // the clock is read: a deadline applies, or hedges are timed

  Attempt attempt_;
  int attempts_started_ = 0;
  int attempts_done_ = 0;
  int groups_done_ = 0;  // attempts without hedging; with it, groups (a primary and its hedges)
  TimePoint call_start_{};
  TimePoint attempt_start_{};
  TimePoint overall_deadline_ = TimePoint::max();
  AttemptControl control_;

  Outcome last_outcome_;
  std::string_view final_reason_;
  std::exception_ptr last_exception_;
  std::error_code last_error_;
  std::any last_error_value_;
  std::any last_value_;

  // The retry budget reservation for the attempt about to run (or running).
  bool budget_calls_open_ = false;  // call_started() was sent to the policy's budgets
  bool circuit_admitted_ = false;   // the breaker let this call through and awaits its end
  std::uint64_t circuit_generation_ = 0;
  bool preadmitted_ = false;
  std::optional<TimePoint> preadmitted_start_;  // set when the breaker needs call times
  int reservation_attempt_ = 0;                // the attempt the held reservation admits
  bool circuit_probe_ = false;
  bool reservation_held_ = false;
  bool reservation_unused_ = false;  // its retry was abandoned before it ran
  std::uint64_t reservation_token_ = 0;
  std::string_view admitted_by_;  // budget reason recorded on the next attempt
  Duration slept_before_{};
  Duration previous_delay_{};
};

}  // namespace recourse::detail
