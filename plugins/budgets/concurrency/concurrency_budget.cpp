// The `concurrency` budget: Envoy's retry budget. Retries (and hedges) in flight may number
// `percent`% of the calls in flight, and never fewer than `min_concurrency`, so a quiet
// service can still retry. Calls in flight are call_started() minus call_finished(); retries
// in flight are granted acquire()s not yet released. No clock: it limits how many retries run
// at once, not how often. One count per instance, shared by every key whose policy names it.
//
// [budgets.<name>] plugin = "concurrency", percent = 20, min_concurrency = 3 (default)
#include <recourse/plugin.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

import recourse.plugin;
import recourse.support.config;

namespace recourse::plugins {
namespace {

struct ConcurrencyParams {
  double percent = 0;
  std::int64_t min_concurrency = 3;
};

ConcurrencyParams parse(const ConfigView& config) {
  static constexpr std::string_view known[]{"plugin", "percent", "min_concurrency"};
  support::ConfigReader in(config, known);
  ConcurrencyParams params;
  if (auto percent =
          in.number("percent", 0, 100, support::required("retries in flight per 100 calls in flight, 0-100")))
    params.percent = *percent;
  if (auto min_concurrency = in.integer("min_concurrency", 0, 1'000'000'000)) params.min_concurrency = *min_concurrency;
  in.finish();
  return params;
}

// Takes one from `count` unless it is already zero: an unmatched finish or release must not
// drive a count negative and hand out phantom room.
void decrement(std::atomic<std::int64_t>& count) noexcept {
  std::int64_t current = count.load(std::memory_order_relaxed);
  while (current > 0 && !count.compare_exchange_weak(current, current - 1, std::memory_order_relaxed)) {
  }
}

// Marks a decision as granted, so only those are given back on release.
constexpr std::uint64_t granted = 1;

}  // namespace

class ConcurrencyBudget final : public Budget {
 public:
  explicit ConcurrencyBudget(const ComponentContext& context) : params_(parse(context.config)) {}

  BudgetDecision acquire(const BudgetRequest&) override {
    // Scaled by 100 so whole percents compare exactly:
    // retries + 1 <= max(min_concurrency, percent/100 * requests).
    const double requests = static_cast<double>(active_requests_.load(std::memory_order_relaxed));
    const double limit = std::max(100.0 * static_cast<double>(params_.min_concurrency), params_.percent * requests);
    std::int64_t retries = active_retries_.load(std::memory_order_relaxed);
    do {
      if (100.0 * static_cast<double>(retries + 1) > limit) return {false, reason::budget_denied, 0};
    } while (!active_retries_.compare_exchange_weak(retries, retries + 1, std::memory_order_relaxed));
    return {true, reason::allowed, granted};
  }

  void release(const BudgetRequest&, std::uint64_t token) noexcept override {
    if (token == granted) decrement(active_retries_);
  }

  void call_started(std::string_view, TimePoint) noexcept override {
    active_requests_.fetch_add(1, std::memory_order_relaxed);
  }

  void call_finished(std::string_view, TimePoint) noexcept override { decrement(active_requests_); }

 private:
  const ConcurrencyParams params_;
  std::atomic<std::int64_t> active_requests_{0};
  std::atomic<std::int64_t> active_retries_{0};
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("concurrency", "1.0.0",
                        recourse::budget_component<recourse::plugins::ConcurrencyBudget>("concurrency"))
