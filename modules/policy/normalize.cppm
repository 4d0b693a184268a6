// recourse.policy:normalize — clamp a policy into safe bounds. Never fails: every change is
// recorded (path, before, after) in Policy::normalized, which `explain` and timelines show.
module;
#include "recourse/export.h"

#include <chrono>

export module recourse.policy:normalize;

import :duration;
import :types;

export namespace recourse {

// The bounds normalize() enforces (DESIGN.md §4); docs/policy-schema.md lists them too.
namespace limits {
inline constexpr int min_attempts = 1;
inline constexpr int max_attempts = 10;
inline constexpr double min_multiplier = 1.0;
inline constexpr double max_multiplier = 10.0;
inline constexpr Duration min_backoff = std::chrono::milliseconds(1);
inline constexpr Duration max_backoff = std::chrono::seconds(30);
inline constexpr Duration min_timeout = std::chrono::milliseconds(1);
inline constexpr int min_budget_cost = 1;
inline constexpr int min_hedges = 1;
inline constexpr int max_hedges = 3;
inline constexpr Duration min_hedge_delay = std::chrono::milliseconds(10);
inline constexpr int min_hedge_samples = 1;
inline constexpr int max_hedge_samples = 256;  // LatencyTracker::capacity
inline constexpr int min_circuit_threshold = 1;
inline constexpr int min_window_size = 1;
inline constexpr Duration min_window_duration = std::chrono::seconds(1);
inline constexpr int min_minimum_calls = 1;
inline constexpr double min_rate_threshold = 1.0;
inline constexpr double max_rate_threshold = 100.0;
inline constexpr Duration min_cooldown = std::chrono::milliseconds(100);
inline constexpr int min_half_open_probes = 1;
inline constexpr int max_half_open_probes = 100;
}  // namespace limits

// Clamps the retry section always, the hedge section when hedging is enabled and the circuit
// section when circuit breaking is enabled. Appends to policy.normalized in the order fields
// change; normalizing twice changes nothing the second time.
RECOURSE_API Policy normalize(Policy policy);

}  // namespace recourse
