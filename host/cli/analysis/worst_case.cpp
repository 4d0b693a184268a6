// The worst-case arithmetic (see worst_case.cppm). Durations saturate at Duration::max():
// ten attempts of a 292-year timeout are "too long", not a negative number.
module;
#include <algorithm>
#include <chrono>
#include <optional>

module recourse.host.analysis;

namespace recourse::host {
namespace {

Duration add(Duration a, Duration b) { return a > Duration::max() - b ? Duration::max() : a + b; }

Duration times(Duration d, int n) {
  if (n <= 0) return Duration::zero();
  return d > Duration::max() / n ? Duration::max() : d * n;
}

}  // namespace

WorstCase worst_case(const Policy& policy) {
  const RetryPolicy& retry = policy.retry;
  WorstCase out;
  out.attempt_groups = std::max(retry.max_attempts, 1);
  out.hedges_per_group = policy.hedge.enabled ? std::max(policy.hedge.max_hedges, 0) : 0;
  out.attempts = out.attempt_groups * (1 + out.hedges_per_group);
  out.amplification = out.attempts;

  if (retry.per_attempt_timeout > Duration::zero()) {
    Duration group = retry.per_attempt_timeout;
    // A latency-percentile trigger waits for an observed attempt latency, which the
    // per-attempt timeout bounds.
    const Duration hedge_delay = policy.hedge.trigger == HedgeTriggerKind::fixed
                                     ? policy.hedge.delay
                                     : std::max(policy.hedge.delay, retry.per_attempt_timeout);
    group = add(group, times(hedge_delay, out.hedges_per_group));
    out.waits_from_retry_after = retry.max_retry_after > retry.max_backoff;
    out.attempts_time = times(group, out.attempt_groups);
    out.waits_time = times(std::max(retry.max_backoff, retry.max_retry_after), out.attempt_groups - 1);
  }
  const bool has_overall = retry.overall_timeout > Duration::zero();
  if (out.attempts_time) {
    out.attempts_and_waits = add(*out.attempts_time, *out.waits_time);
    const Duration sum = *out.attempts_and_waits;
    if (has_overall && retry.overall_timeout <= sum) {
      out.total_time = retry.overall_timeout;
      out.bound = TimeBound::overall_timeout;
    } else {
      out.total_time = sum;
      out.bound = TimeBound::attempts_and_waits;
    }
  } else if (has_overall) {
    out.total_time = retry.overall_timeout;
    out.bound = TimeBound::overall_timeout;
  }
  return out;
}

}  // namespace recourse::host
