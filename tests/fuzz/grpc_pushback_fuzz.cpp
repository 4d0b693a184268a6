// Fuzz target: parse_grpc_pushback (plugins/classifiers/grpc/grpc_pushback.cpp, compiled in),
// gRFC A6's grpc-retry-pushback-ms. Properties: a delay is never negative; it is given only for
// a value that is all digits once spaces and tabs are trimmed, and then it is that number of
// milliseconds, saturating at the largest one.
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "grpc_pushback.hpp"

using recourse::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value = recourse::fuzz::text(data, size);
  const std::string shown(value.substr(0, 64));
  const std::optional<std::chrono::milliseconds> delay = recourse::plugins::parse_grpc_pushback(value);

  std::string_view digits = value;
  while (!digits.empty() && (digits.front() == ' ' || digits.front() == '\t')) digits.remove_prefix(1);
  while (!digits.empty() && (digits.back() == ' ' || digits.back() == '\t')) digits.remove_suffix(1);
  bool all_digits = !digits.empty();
  for (const char c : digits) all_digits = all_digits && c >= '0' && c <= '9';

  check(delay.has_value() == all_digits, "a delay exactly for a trimmed run of digits", shown);
  if (!delay) return 0;
  check(delay->count() >= 0, "a pushback delay is never negative", shown);
  std::int64_t expected = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), expected);
  if (ec == std::errc::result_out_of_range) expected = std::numeric_limits<std::int64_t>::max();
  check(end == digits.data() + digits.size() || ec == std::errc::result_out_of_range, "the digits are read whole", shown);
  check(delay->count() == expected, "the delay is the number given, saturated", shown);
  return 0;
}
