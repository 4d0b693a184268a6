// What observers hear of a watched call's inline attempt 0 (see watched_first.cppm). Each part
// mirrors CallState: its info(), record_attempt(), finish_circuit() and succeed().
module;
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

module recourse.executor;

import :state;
import :call_timeline;
import :watched_first;

namespace recourse::detail {
namespace {

CallInfo info_of(const CompiledPolicy& policy, std::string_view key, TimePoint start) noexcept {
  return CallInfo{key, policy.policy_id, policy.resolved.policy.source, start, policy.key_slot};
}

// The call-end timeline is this thread's spare, or one of its own while the spare is held.
class SummaryTimeline {
 public:
  SummaryTimeline() : spare_(take_spare_timeline()) {
    if (spare_ == nullptr) own_.emplace();
  }
  ~SummaryTimeline() {
    if (spare_ != nullptr) give_back_spare_timeline();
  }
  SummaryTimeline(const SummaryTimeline&) = delete;
  SummaryTimeline& operator=(const SummaryTimeline&) = delete;
  Timeline& get() noexcept { return spare_ != nullptr ? *spare_ : *own_; }

 private:
  Timeline* spare_;
  std::optional<Timeline> own_;
};

}  // namespace

void tell_call_started(ExecutorState& executor, const PolicyHead& head, std::string_view key, TimePoint start) {
  const CallInfo info = info_of(static_cast<const CompiledPolicy&>(head), key, start);
  executor.notify(ObserverEvent::start, [&](Observer& o) { o.on_start(info); });
}

void tell_first_success(ExecutorState& executor, const PolicyHead& head, std::string_view key, TimePoint start,
                        TimePoint end, std::uint64_t circuit_generation, Timeline* caller_timeline) {
  const auto& policy = static_cast<const CompiledPolicy&>(head);
  const ObserverRoster& roster = executor.roster;
  const CallInfo info = info_of(policy, key, start);
  // As CallState::open decides: a caller's timeline is whole and timed, and observers share it.
  const bool whole = caller_timeline != nullptr || roster.wants(ObserverEvent::timeline);
  const bool timing = caller_timeline != nullptr || roster.wants(ObserverEvent::times);
  std::optional<SummaryTimeline> summary;
  Timeline* timeline = caller_timeline;
  if (timeline == nullptr && roster.wants(ObserverEvent::outcome)) timeline = &summary.emplace().get();
  if (timeline != nullptr) start_timeline(*timeline, key, start, &policy, whole);
  if (whole || roster.wants(ObserverEvent::attempt)) {
    AttemptRecord record;  // attempt 0: no hedge, no backoff before it, no budget asked
    if (timing || policy.timed) {
      record.start = start;
      record.end = end;
    }
    record.kind = OutcomeKind::success;
    record.reason = intern_reason(reason::success);
    record.classifier_fallback = policy.classifier_fallback;
    if (whole) timeline->attempts.push_back(record);
    if (roster.wants(ObserverEvent::attempt))
      executor.notify(ObserverEvent::attempt, [&](Observer& o) { o.on_attempt(info, record); });
  }
  if (CircuitBreaker* const breaker = policy.breaker; breaker != nullptr) {
    try {
      const TimePoint now = executor.clock.now();
      const auto transition = breaker->finish(false, circuit_generation, CallVerdict::success, now - start, now);
      if (transition && roster.wants(ObserverEvent::circuit_transition))
        executor.notify(ObserverEvent::circuit_transition,
                        [&](Observer& o) { o.on_circuit_transition(info, *transition); });
    } catch (...) {
    }
  }
  if (timeline != nullptr) {
    timeline->end = timing ? end : start;
    timeline->final_reason = reason::success;
  }
  if (roster.wants(ObserverEvent::outcome))
    executor.notify(ObserverEvent::outcome, [&](Observer& o) { o.on_success(info, *timeline); });
}

}  // namespace recourse::detail
