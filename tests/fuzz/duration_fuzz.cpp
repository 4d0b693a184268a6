// Fuzz target: parse_duration (modules/policy/duration.cppm). Properties: a parsed duration is
// never negative; format_duration prints it in a spelling that parses back to the same value,
// and printing that again gives the same text.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"

import recourse.core;

using recourse::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = recourse::fuzz::text(data, size);
  const auto parsed = recourse::parse_duration(text);
  if (!parsed) {
    check(!parsed.error().empty(), "a rejected duration has a message");
    return 0;
  }
  check(parsed->count() >= 0, "a duration is not negative", std::string(text));
  const std::string printed = recourse::format_duration(*parsed);
  const auto back = recourse::parse_duration(printed);
  check(back.has_value(), "format_duration's text parses", printed);
  check(*back == *parsed, "format_duration's text parses to the same duration", std::string(text) + " -> " + printed);
  check(recourse::format_duration(*back) == printed, "format_duration is stable", printed);
  return 0;
}
