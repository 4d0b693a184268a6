// Parsing an HTTP Retry-After header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace recourse::plugins {

// The delay the header asks for, measured from `now` for a date; a date in the past is zero.
// Negative numbers, garbage and dates that are not IMF-fixdate ("Sun, 06 Nov 1994 08:49:37
// GMT") give nullopt: a server's nonsense must not stall or speed up a client.
std::optional<std::chrono::nanoseconds> parse_retry_after(std::string_view header,
                                                          std::chrono::system_clock::time_point now);

}  // namespace recourse::plugins
