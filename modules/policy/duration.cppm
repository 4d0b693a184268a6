// recourse.policy:duration — how policies spell time. Durations are std::chrono::nanoseconds
// and are written in config as Go-style strings: "250ms", "1.5s", "2m", "1m30s".
module;
#include "recourse/export.h"

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

export module recourse.policy:duration;

export namespace recourse {

using Duration = std::chrono::nanoseconds;

// The longest duration a policy field accepts. Timeouts, cooldowns and windows are hours at
// most; centuries are a typo, and near Duration's range they would overflow clock arithmetic.
inline constexpr Duration max_policy_duration = std::chrono::hours(24);

// Accepts one or more <decimal><unit> groups (units ns, us, µs, ms, s, m, h) or a bare "0".
// Negative, unit-less and overflowing values are errors; the message quotes the input.
RECOURSE_API std::expected<Duration, std::string> parse_duration(std::string_view text);

// The shortest exact spelling parse_duration reads back: 250ms, 90s, 2m, 1500us, 0s.
RECOURSE_API std::string format_duration(Duration d);

}  // namespace recourse
