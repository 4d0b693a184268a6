// Retry-After parsing (see retry_after.hpp).
#include "retry_after.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>

namespace recourse::plugins {
namespace {

// A year: far beyond any max_retry_after, and small enough for any clock arithmetic.
constexpr std::int64_t max_delay_seconds = 365LL * 24 * 3600;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool digits(std::string_view s, int& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// "Sun, 06 Nov 1994 08:49:37 GMT": fixed positions, as RFC 9110 requires senders to write.
std::optional<std::chrono::sys_seconds> imf_fixdate(std::string_view s) {
  static constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
      s[22] != ':' || s[25] != ' ' || s.substr(26) != "GMT")
    return std::nullopt;
  int day, year, hour, minute, second;
  if (!digits(s.substr(5, 2), day) || !digits(s.substr(12, 4), year) || !digits(s.substr(17, 2), hour) ||
      !digits(s.substr(20, 2), minute) || !digits(s.substr(23, 2), second))
    return std::nullopt;
  unsigned month = 0;
  while (month < 12 && months[month] != s.substr(8, 3)) ++month;
  if (month == 12 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month + 1),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second);
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_retry_after(std::string_view header,
                                                          std::chrono::system_clock::time_point now) {
  header = trim(header);
  if (header.empty()) return std::nullopt;
  if (header.front() >= '0' && header.front() <= '9') {
    std::int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(header.data(), header.data() + header.size(), seconds);
    if (ec != std::errc() || end != header.data() + header.size()) return std::nullopt;
    if (seconds > max_delay_seconds) seconds = max_delay_seconds;  // the policy caps it anyway
    return std::chrono::seconds(seconds);
  }
  const auto at = imf_fixdate(header);
  if (!at) return std::nullopt;
  // In seconds, not nanoseconds: a date of year 0000 or 9999 is a valid IMF-fixdate, and as a
  // nanosecond time point it would overflow. The date has whole seconds; `now` rounds up.
  const auto now_s = std::chrono::ceil<std::chrono::seconds>(now);
  if (*at <= now_s) return std::chrono::nanoseconds::zero();
  return std::chrono::seconds(std::min<std::int64_t>((*at - now_s).count(), max_delay_seconds));
}

}  // namespace recourse::plugins
