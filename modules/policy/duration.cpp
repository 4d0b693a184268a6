// Parsing and formatting of policy durations (see duration.cppm).
module;
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <expected>
#include <limits>
#include <string>
#include <string_view>

module recourse.policy;

namespace recourse {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t nanoseconds;
};

// Longest suffixes first so "ms" is not read as "m" followed by garbage.
constexpr std::array<Unit, 7> units{{
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // µs
    {"ms", 1'000'000},
    {"h", 3'600'000'000'000},
    {"m", 60'000'000'000},
    {"s", 1'000'000'000},
}};

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::unexpected<std::string> bad(std::string_view text, std::string_view why) {
  return std::unexpected("invalid duration " + quoted(text) + ": " + std::string(why));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::expected<Duration, std::string> parse_duration(std::string_view text) {
  std::string_view rest = text;
  if (rest.empty()) return bad(text, "it is empty; write e.g. \"250ms\"");
  if (rest.front() == '-') return bad(text, "durations cannot be negative");
  if (rest.front() == '+') rest.remove_prefix(1);
  if (rest == "0") return Duration::zero();

  constexpr auto limit = static_cast<__int128>(std::numeric_limits<std::int64_t>::max());
  __int128 total = 0;
  while (!rest.empty()) {
    __int128 whole = 0;
    bool any_digit = false;
    while (!rest.empty() && is_digit(rest.front())) {
      whole = whole * 10 + (rest.front() - '0');
      if (whole > limit) return bad(text, "the value is too large");
      any_digit = true;
      rest.remove_prefix(1);
    }
    __int128 fraction = 0, scale = 1;
    if (!rest.empty() && rest.front() == '.') {
      rest.remove_prefix(1);
      while (!rest.empty() && is_digit(rest.front())) {
        if (scale < 1'000'000'000'000'000'000) {  // digits past 1e-18 of a unit cannot matter
          fraction = fraction * 10 + (rest.front() - '0');
          scale *= 10;
        }
        any_digit = true;
        rest.remove_prefix(1);
      }
    }
    if (!any_digit) return bad(text, "expected a number followed by a unit (ns, us, ms, s, m, h)");

    const Unit* unit = nullptr;
    for (const Unit& u : units) {
      if (rest.starts_with(u.suffix)) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return bad(text, "missing or unknown unit; use ns, us, ms, s, m or h");
    rest.remove_prefix(unit->suffix.size());

    total += whole * unit->nanoseconds + fraction * unit->nanoseconds / scale;
    if (total > limit) return bad(text, "the value is too large");
  }
  return Duration(static_cast<std::int64_t>(total));
}

std::string format_duration(Duration d) {
  const std::int64_t ns = d.count();
  if (ns == 0) return "0s";
  const std::string sign = ns < 0 ? "-" : "";
  const std::uint64_t magnitude =
      ns < 0 ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
  // Largest unit that divides exactly; ns always does.
  constexpr std::array<Unit, 6> by_size{{
      {"h", 3'600'000'000'000},
      {"m", 60'000'000'000},
      {"s", 1'000'000'000},
      {"ms", 1'000'000},
      {"us", 1'000},
      {"ns", 1},
  }};
  for (const Unit& u : by_size) {
    const auto unit = static_cast<std::uint64_t>(u.nanoseconds);
    if (magnitude % unit == 0) return sign + std::to_string(magnitude / unit) + std::string(u.suffix);
  }
  return sign + std::to_string(magnitude) + "ns";
}

}  // namespace recourse
