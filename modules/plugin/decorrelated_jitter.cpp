// decorrelated_jitter (see components.cppm).
module;
#include <algorithm>
#include <chrono>

module recourse.plugin;

namespace recourse {

Duration decorrelated_jitter(const RetryPolicy& policy, Duration previous, double unit) noexcept {
  const double cap = static_cast<double>(policy.max_backoff.count());
  const double low = std::min(static_cast<double>(policy.initial_backoff.count()), cap);
  const double before = previous > Duration::zero() ? static_cast<double>(previous.count()) : low;
  const double high = std::min(std::max(low, 3 * before), cap);
  double delay = low + unit * (high - low);
  // A draw outside [0, 1) (NaN, 1e300 from a broken RandomSource) must not become undefined
  // behaviour when the delay turns into an integer.
  if (!(delay >= low)) delay = low;
  return Duration(static_cast<Duration::rep>(std::min(delay, high)));
}

}  // namespace recourse
