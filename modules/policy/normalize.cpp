// Policy normalization (see normalize.cppm). The order of the checks is the order changes
// are reported in, which is the order of the schema.
module;
#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module recourse.policy;

namespace recourse {
namespace {

class Clamp {
 public:
  explicit Clamp(std::vector<FieldChange>& changes) : changes_(changes) {}

  // Sets `value` to `next` and records the change when they differ.
  template <class T>
  void set(std::string_view path, T& value, T next) {
    if (value == next) return;
    // A field clamped twice (max_backoff: into range, then up to initial_backoff) is one
    // change from the configured value to the final one.
    const auto existing = std::ranges::find(changes_, path, &FieldChange::path);
    if (existing == changes_.end())
      changes_.push_back({std::string(path), format_field_value(value), format_field_value(next)});
    else
      existing->after = format_field_value(next);
    value = std::move(next);
  }

  template <class T>
  void at_least(std::string_view path, T& value, T low) {
    if (value < low) set(path, value, low);
  }

  template <class T>
  void within(std::string_view path, T& value, T low, T high) {
    if (value < low) set(path, value, low);
    else if (value > high) set(path, value, high);
  }

  // Zero means "off" for a timeout; negative is treated as off, tiny positive is raised.
  void timeout(std::string_view path, Duration& value) {
    if (value < Duration::zero()) set(path, value, Duration::zero());
    else if (value > Duration::zero() && value < limits::min_timeout) set(path, value, limits::min_timeout);
  }

  // Below the range or NaN goes to `low`; `value < low` alone would let NaN through.
  void number_within(std::string_view path, double& value, double low, double high) {
    if (!(value >= low)) set(path, value, low);
    else if (value > high) set(path, value, high);
  }

 private:
  std::vector<FieldChange>& changes_;
};

void normalize_retry(RetryPolicy& r, Clamp& clamp) {
  clamp.within("retry.max_attempts", r.max_attempts, limits::min_attempts, limits::max_attempts);
  // Clamping initial_backoff first means the 30 s ceiling wins over "max >= initial".
  clamp.within("retry.initial_backoff", r.initial_backoff, limits::min_backoff, limits::max_backoff);
  clamp.within("retry.max_backoff", r.max_backoff, limits::min_backoff, limits::max_backoff);
  clamp.at_least("retry.max_backoff", r.max_backoff, r.initial_backoff);
  clamp.number_within("retry.multiplier", r.multiplier, limits::min_multiplier, limits::max_multiplier);
  clamp.timeout("retry.per_attempt_timeout", r.per_attempt_timeout);
  clamp.timeout("retry.overall_timeout", r.overall_timeout);
  clamp.at_least("retry.max_retry_after", r.max_retry_after, Duration::zero());
  clamp.at_least("retry.budget.cost", r.budget.cost, limits::min_budget_cost);
}

void normalize_hedge(HedgePolicy& h, Clamp& clamp) {
  clamp.within("hedge.max_hedges", h.max_hedges, limits::min_hedges, limits::max_hedges);
  clamp.at_least("hedge.delay", h.delay, limits::min_hedge_delay);
  clamp.within("hedge.min_samples", h.min_samples, limits::min_hedge_samples, limits::max_hedge_samples);
  clamp.at_least("hedge.budget.cost", h.budget.cost, limits::min_budget_cost);
}

void normalize_circuit(CircuitPolicy& c, Clamp& clamp) {
  clamp.at_least("circuit.threshold", c.threshold, limits::min_circuit_threshold);
  clamp.at_least("circuit.window_size", c.window_size, limits::min_window_size);
  clamp.at_least("circuit.window_duration", c.window_duration, limits::min_window_duration);
  clamp.at_least("circuit.minimum_calls", c.minimum_calls, limits::min_minimum_calls);
  // A count window of N calls never holds more than N: a larger minimum would keep the breaker
  // closed forever, silently (resilience4j clamps it the same way).
  if (c.kind == CircuitKind::failure_rate && c.window_type == WindowType::count && c.minimum_calls > c.window_size)
    clamp.set("circuit.minimum_calls", c.minimum_calls, c.window_size);
  clamp.number_within("circuit.failure_rate_threshold", c.failure_rate_threshold, limits::min_rate_threshold,
                      limits::max_rate_threshold);
  clamp.number_within("circuit.slow_call_rate_threshold", c.slow_call_rate_threshold,
                      limits::min_rate_threshold, limits::max_rate_threshold);
  clamp.at_least("circuit.slow_call_duration", c.slow_call_duration, Duration::zero());
  clamp.at_least("circuit.cooldown", c.cooldown, limits::min_cooldown);
  clamp.within("circuit.half_open_probes", c.half_open_probes, limits::min_half_open_probes,
               limits::max_half_open_probes);
}

}  // namespace

Policy normalize(Policy policy) {
  Clamp clamp(policy.normalized);
  normalize_retry(policy.retry, clamp);
  if (policy.hedge.enabled) normalize_hedge(policy.hedge, clamp);
  if (policy.circuit.enabled) normalize_circuit(policy.circuit, clamp);
  return policy;
}

}  // namespace recourse
