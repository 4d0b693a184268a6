// recourse.policy:types — the policy value types: what bounds one call for one key.
// Plain structs with defaults (DESIGN.md §4): a default-constructed Policy is the built-in
// policy — 3 attempts, 10 ms initial backoff, x2, 250 ms cap, no jitter, no timeouts,
// hedging and circuit breaking off. docs/policy-schema.md documents every field.
module;
#include "recourse/export.h"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

export module recourse.policy:types;

import :duration;

// Module-local: the literals below do not leak to importers.
namespace recourse {
using namespace std::chrono_literals;
}

export namespace recourse {

enum class Jitter : std::uint8_t { none, full, equal, decorrelated };
enum class HedgeTriggerKind : std::uint8_t { fixed, p50, p90, p95, p99, custom };
enum class CircuitKind : std::uint8_t { consecutive, failure_rate };
enum class WindowType : std::uint8_t { count, time };
// Where a policy came from; travels with it into timelines.
enum class PolicySource : std::uint8_t { builtin_default, static_config, remote, last_known_good };

// The config spelling of each enumerator, in declaration order, and what the enum is called
// in error messages.
template <class E>
struct EnumNames;
template <>
struct EnumNames<Jitter> {
  static constexpr std::string_view what = "jitter";
  static constexpr std::array<std::string_view, 4> names{"none", "full", "equal", "decorrelated"};
};
template <>
struct EnumNames<HedgeTriggerKind> {
  static constexpr std::string_view what = "hedge trigger";
  static constexpr std::array<std::string_view, 6> names{"fixed", "p50", "p90", "p95", "p99", "custom"};
};
template <>
struct EnumNames<CircuitKind> {
  static constexpr std::string_view what = "circuit kind";
  static constexpr std::array<std::string_view, 2> names{"consecutive", "failure_rate"};
};
template <>
struct EnumNames<WindowType> {
  static constexpr std::string_view what = "window type";
  static constexpr std::array<std::string_view, 2> names{"count", "time"};
};
template <>
struct EnumNames<PolicySource> {
  static constexpr std::string_view what = "policy source";
  static constexpr std::array<std::string_view, 4> names{"default", "static", "remote", "lkg"};
};

template <class E>
concept NamedEnum = requires { EnumNames<E>::names; };

template <NamedEnum E>
constexpr std::string_view to_string(E value) noexcept {
  const auto i = static_cast<std::size_t>(value);
  return i < EnumNames<E>::names.size() ? EnumNames<E>::names[i] : std::string_view("invalid");
}

// "bogus" for a jitter is an error naming the value and the choices, never a silent default.
template <NamedEnum E>
std::expected<E, std::string> parse_enum(std::string_view text) {
  const auto& names = EnumNames<E>::names;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return static_cast<E>(i);
  std::string message = "unknown " + std::string(EnumNames<E>::what) + " \"" + std::string(text) + "\"; known: ";
  for (std::size_t i = 0; i < names.size(); ++i) message.append(i ? ", " : "").append(names[i]);
  return std::unexpected(std::move(message));
}

// A budget a retry or hedge must ask before it runs. An empty name means no budget.
struct BudgetRef {
  std::string name;
  int cost = 1;
};

struct RetryPolicy {
  int max_attempts = 3;
  std::string backoff = "exponential";
  Duration initial_backoff = 10ms;
  Duration max_backoff = 250ms;
  double multiplier = 2.0;
  Jitter jitter = Jitter::none;
  Duration per_attempt_timeout = Duration::zero();  // zero: none
  Duration overall_timeout = Duration::zero();      // zero: none
  Duration max_retry_after = 30s;  // cap on a classifier's Retry-After override
  std::string classifier = "always";
  BudgetRef budget;
};

struct HedgePolicy {
  bool enabled = false;
  int max_hedges = 2;
  Duration delay = 200ms;
  HedgeTriggerKind trigger = HedgeTriggerKind::fixed;
  int min_samples = 20;      // latency triggers: successful attempts seen before any hedge
  std::string trigger_name;  // trigger = custom: the trigger component
  bool cancel_on_first_terminal = false;
  BudgetRef budget;
};

struct CircuitPolicy {
  bool enabled = false;
  CircuitKind kind = CircuitKind::consecutive;
  int threshold = 5;  // consecutive failed calls that open a `consecutive` breaker
  WindowType window_type = WindowType::count;
  int window_size = 100;         // calls in a count window
  Duration window_duration = 60s;  // span of a time window
  int minimum_calls = 20;        // before a failure rate is judged
  double failure_rate_threshold = 50.0;     // percent
  double slow_call_rate_threshold = 100.0;  // percent
  Duration slow_call_duration = Duration::zero();  // zero: slow calls are not tracked
  Duration cooldown = 30s;  // open -> half-open
  int half_open_probes = 1;
  friend bool operator==(const CircuitPolicy&, const CircuitPolicy&) = default;
};

// One field normalize() changed: the path and both values as config would spell them.
struct FieldChange {
  std::string path;
  std::string before;
  std::string after;
  friend bool operator==(const FieldChange&, const FieldChange&) = default;
};

struct Policy {
  std::string id = "builtin";
  PolicySource source = PolicySource::builtin_default;
  RetryPolicy retry;
  HedgePolicy hedge;
  CircuitPolicy circuit;
  std::vector<FieldChange> normalized;  // every clamp normalize() applied, in order
};

}  // namespace recourse
