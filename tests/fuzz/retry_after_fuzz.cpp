// Fuzz target: parse_retry_after (plugins/classifiers/http/retry_after.cpp, compiled in), the
// HTTP Retry-After header as delay-seconds or an IMF-fixdate, against a few "now"s. Properties:
// a delay is never negative (a date far from "now" must not overflow into one); delay-seconds
// give exactly that many seconds (capped at a year); blanks around the value change nothing.
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "retry_after.hpp"

using recourse::fuzz::check;
using namespace std::chrono;

namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}


}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header = recourse::fuzz::text(data, size);
  const std::string shown(header.substr(0, 64));
  // The epoch, a day in 2026, and the largest time point: a date is measured from each.
  const system_clock::time_point nows[]{system_clock::time_point{}, sys_days(2026y / December / 1) + 10h,
                                        system_clock::time_point::max()};
  for (const system_clock::time_point now : nows) {
    const std::optional<nanoseconds> delay = recourse::plugins::parse_retry_after(header, now);
    if (!delay) continue;
    check(delay->count() >= 0, "a Retry-After delay is never negative", shown);
    const std::string_view value = trimmed(header);
    std::int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc() && end == value.data() + value.size() && seconds >= 0) {
      const std::int64_t year = 365LL * 24 * 3600;
      check(*delay == std::chrono::seconds(seconds < year ? seconds : year), "delay-seconds are taken as given", shown);
    }
    const std::string padded = " \t" + std::string(header) + "\t ";
    check(recourse::plugins::parse_retry_after(padded, now) == delay, "surrounding blanks change nothing", shown);
  }
  return 0;
}
