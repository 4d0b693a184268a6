// recourse.plugin:time_point — the executor's time type and the one way a configured duration
// meets a clock reading. Durations come from config (and plugins) and may be as large as
// Duration can hold; a clock reading plus such a duration must not wrap around into the past,
// or an "infinite" timeout would end a call at once. Everything that adds or subtracts a
// duration to a TimePoint goes through these.
module;
#include <chrono>
#include <limits>
#include <type_traits>

export module recourse.plugin:time_point;

import recourse.policy;

export namespace recourse {

using TimePoint = std::chrono::steady_clock::time_point;

// `t + d`, saturated at TimePoint::max() / min() instead of overflowing.
constexpr TimePoint saturating_add(TimePoint t, Duration d) noexcept {
  using Rep = TimePoint::rep;
  static_assert(std::is_same_v<TimePoint::duration, Duration>, "TimePoint counts in Duration's unit");
  const Rep base = t.time_since_epoch().count();
  const Rep delta = d.count();
  Rep sum;
  if (__builtin_add_overflow(base, delta, &sum))
    return delta > 0 ? TimePoint::max() : TimePoint::min();
  return TimePoint(Duration(sum));
}

// `t - d`, saturated likewise.
constexpr TimePoint saturating_sub(TimePoint t, Duration d) noexcept {
  if (d.count() == std::numeric_limits<Duration::rep>::min()) return saturating_add(saturating_add(t, Duration::max()), Duration(1));
  return saturating_add(t, -d);
}

}  // namespace recourse
