// JitteredBackoff: cap, then jitter (see jittered_backoff.cppm).
module;
#include <algorithm>
#include <chrono>

module recourse.executor;

namespace recourse::detail {

// Cap, then jitter: a strategy that asks for more than max_backoff still gets a random delay
// under it — capping after jitter would send every such retry at exactly the cap, in step.
Duration JitteredBackoff::delay(const BackoffInput& input) const {
  const RetryPolicy& retry = *input.policy;
  const Duration base = base_.delay(input);  // asked in every mode: a strategy that throws always fails the call
  // Decorrelated jitter draws from the previous delay, not from the strategy's.
  if (jitter_ == Jitter::decorrelated) return decorrelated_jitter(retry, input.previous, random_.next_unit());
  const double cap = static_cast<double>(retry.max_backoff.count());
  const double b = std::min(static_cast<double>(std::max(base, Duration::zero()).count()), cap);
  double jittered = b;
  switch (jitter_) {
    case Jitter::full: jittered = random_.next_unit() * b; break;
    case Jitter::equal: jittered = b / 2 + random_.next_unit() * b / 2; break;
    default: break;
  }
  // A RandomSource answering outside [0, 1) (NaN, 1e300) must not turn into undefined
  // behaviour when the delay becomes an integer: NaN is no delay, anything else stays in range.
  if (!(jittered >= 0)) jittered = 0;
  return Duration(static_cast<Duration::rep>(std::min(jittered, cap)));
}

}  // namespace recourse::detail
