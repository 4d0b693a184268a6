// gRPC pushback parsing (see grpc_pushback.hpp).
#include "grpc_pushback.hpp"

#include <limits>

namespace recourse::plugins {

std::optional<std::chrono::milliseconds> parse_grpc_pushback(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  // Digits only: a sign, a decimal point or an exponent is not the integer A6 asks for, and a
  // leading '-' is the documented "stop".
  using Rep = std::chrono::milliseconds::rep;
  constexpr Rep max = std::numeric_limits<Rep>::max();
  Rep ms = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    const Rep digit = c - '0';
    ms = ms > (max - digit) / 10 ? max : ms * 10 + digit;
  }
  return std::chrono::milliseconds(ms);
}

}  // namespace recourse::plugins
