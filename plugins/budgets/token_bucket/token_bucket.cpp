// The `token_bucket` budget: a bucket of `capacity` tokens, refilled at `refill_per_second` by
// the time elapsed on the host clock. A retry or hedge takes `cost` tokens when the bucket
// holds them and is denied otherwise; tokens are spent, not handed back on release (the
// bucket limits the rate of retries, not how many run at once) — except by a retry that never
// ran (released `unused`: abandoned during its backoff). One bucket per instance,
// shared by every key whose policy names it.
//
// [budgets.<name>] plugin = "token_bucket", capacity = 100, refill_per_second = 10,
// initial = 100 (optional; default: capacity).
#include <recourse/plugin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

import recourse.plugin;
import recourse.support.config;

namespace recourse::plugins {
namespace {

struct TokenBucketParams {
  std::int64_t capacity = 0;
  double refill_per_second = 0;
  std::int64_t initial = 0;
};

constexpr std::int64_t max_tokens = 1'000'000'000;

// Every problem in the table at once, or the parameters.
TokenBucketParams parse(const ConfigView& config) {
  static constexpr std::string_view known[]{"plugin", "capacity", "refill_per_second", "initial"};
  support::ConfigReader in(config, known);
  TokenBucketParams params;
  if (auto capacity = in.integer("capacity", 1, max_tokens, support::required("the bucket size in tokens, > 0")))
    params.capacity = *capacity;
  if (auto refill = in.number("refill_per_second", 0, 1e9, support::required("tokens added per second, >= 0")))
    params.refill_per_second = *refill;
  // Bounded by the capacity when that is known; otherwise only its own type is checked.
  params.initial =
      in.integer("initial", 0, params.capacity > 0 ? params.capacity : max_tokens).value_or(params.capacity);
  in.finish();
  return params;
}

}  // namespace

class TokenBucketBudget final : public Budget {
 public:
  explicit TokenBucketBudget(const ComponentContext& context)
      : params_(parse(context.config)), clock_(context.host.clock), tokens_(static_cast<double>(params_.initial)) {
    if (clock_ == nullptr) throw std::invalid_argument("the token_bucket budget needs the host clock");
    last_refill_ = clock_->now();
  }

  BudgetDecision acquire(const BudgetRequest& request) override {
    const std::lock_guard lock(mutex_);
    refill(clock_->now());
    if (request.cost <= 0) return {true, reason::allowed, 0};
    const auto cost = static_cast<double>(request.cost);
    // Refill in small steps of an inexact rate (0.1/s) sums to 0.9999…; a token that is due
    // must not be denied for rounding.
    if (tokens_ + 1e-9 < cost) return {false, reason::budget_denied, 0};
    tokens_ = std::max(0.0, tokens_ - cost);
    return {true, reason::allowed, 0};
  }

  // A retry abandoned during its backoff never ran: its tokens go back (up to the capacity).
  void release(const BudgetRequest& request, std::uint64_t) noexcept override {
    if (!request.unused || request.cost <= 0) return;
    const std::lock_guard lock(mutex_);
    tokens_ = std::min(static_cast<double>(params_.capacity), tokens_ + static_cast<double>(request.cost));
  }

  // A reload changed its settings: the tokens the old bucket had (refilled to now) go on,
  // clamped to this capacity; `initial` is for a bucket that has no predecessor.
  void carry_from(const Budget& previous) noexcept override {
    const auto* old = dynamic_cast<const TokenBucketBudget*>(&previous);
    if (old == nullptr) return;
    const TimePoint now = clock_->now();
    double carried;
    {
      const std::lock_guard lock(old->mutex_);
      carried = old->tokens_at(now);
    }
    const std::lock_guard lock(mutex_);
    tokens_ = std::min(static_cast<double>(params_.capacity), carried);
    last_refill_ = now;
  }

  std::optional<double> level() noexcept override {
    const std::lock_guard lock(mutex_);
    refill(clock_->now());
    return tokens_;
  }

 private:
  // The tokens at `now`, under the lock: the last level plus the refill since, up to the
  // capacity. A clock that stands still (or steps back) adds nothing.
  double tokens_at(TimePoint now) const {
    if (now <= last_refill_) return tokens_;
    const double elapsed = std::chrono::duration<double>(now - last_refill_).count();
    return std::min(static_cast<double>(params_.capacity), tokens_ + elapsed * params_.refill_per_second);
  }

  void refill(TimePoint now) {
    if (now <= last_refill_) return;
    tokens_ = tokens_at(now);
    last_refill_ = now;
  }

  const TokenBucketParams params_;
  Clock* const clock_;
  mutable std::mutex mutex_;  // carry_from() locks its predecessor's
  double tokens_;
  TimePoint last_refill_{};
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("token_bucket", "1.0.0",
                        recourse::budget_component<recourse::plugins::TokenBucketBudget>("token_bucket"))
