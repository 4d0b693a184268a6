// The built-in backoff strategies `exponential` and `constant`, and the `unlimited` budget.
module;
#include <algorithm>
#include <chrono>
#include <cmath>

module recourse.executor;

namespace recourse {

Duration ExponentialBackoff::delay(const BackoffInput& input) const {
  const RetryPolicy& p = *input.policy;
  const double initial = static_cast<double>(p.initial_backoff.count());
  const double cap = static_cast<double>(p.max_backoff.count());
  // In floating point, then capped before converting back: retry 60 with x10 is 1e59 × initial,
  // far past any integer, but never past the cap.
  const double grown = initial * std::pow(std::max(p.multiplier, 1.0), std::max(input.retry - 1, 0));
  return Duration(static_cast<Duration::rep>(std::min(grown, cap)));
}

Duration ConstantBackoff::delay(const BackoffInput& input) const { return input.policy->initial_backoff; }

BudgetDecision UnlimitedBudget::acquire(const BudgetRequest&) { return {true, reason::allowed, 0}; }

}  // namespace recourse
