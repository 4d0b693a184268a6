// The call's timeline (see call_timeline.cppm).
module;
#include <string_view>

module recourse.executor;

import :call_timeline;

namespace recourse::detail {
namespace {

struct SpareTimeline {
  Timeline timeline;
  bool taken = false;
};
thread_local SpareTimeline spare_timeline;

}  // namespace

Timeline* take_spare_timeline() noexcept {
  SpareTimeline& spare = spare_timeline;
  if (spare.taken) return nullptr;
  spare.taken = true;
  return &spare.timeline;
}

void give_back_spare_timeline() noexcept { spare_timeline.taken = false; }

void start_timeline(Timeline& t, std::string_view key, TimePoint start, const CompiledPolicy* policy, bool whole) {
  t.key.assign(key);
  t.start = start;
  t.end = TimePoint{};
  t.attempts.clear();
  t.final_reason = {};
  t.circuit_state = CircuitState::closed;
  t.circuit_probe = false;
  if (policy == nullptr) {
    t.policy_id.clear();
    t.policy_source = PolicySource::builtin_default;
    t.normalization.clear();
    t.modes_used.clear();
    t.cardinality_limited = false;
    return;
  }
  const Policy& resolved = policy->resolved.policy;
  t.policy_id.assign(resolved.id);
  t.policy_source = resolved.source;
  t.cardinality_limited = policy->cardinality_limited;
  if (whole) {
    t.normalization = resolved.normalized;
    t.modes_used = policy->modes_used;
  } else {
    t.normalization.clear();
    t.modes_used.clear();
  }
}

}  // namespace recourse::detail
