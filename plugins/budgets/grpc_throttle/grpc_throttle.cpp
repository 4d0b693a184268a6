// The `grpc_throttle` budget: gRPC's retry throttling (gRFC A6). A token count starts at
// `max_tokens`; an attempt that failed with a retryable status, or whose pushback said "do not
// retry" (reason grpc_pushback_stop), takes one token; every success gives back `token_ratio`,
// capped at `max_tokens`. Other failures (INVALID_ARGUMENT, NOT_FOUND: the client's own fault)
// and aborts say nothing about the server's load and do not count, as A6 says. Retries and hedges are allowed while the
// count is above half of `max_tokens`. One count per instance, shared by every key whose policy names it.
//
// [budgets.<name>] plugin = "grpc_throttle", max_tokens = 10, token_ratio = 0.1
#include <recourse/plugin.h>

#include <algorithm>
#include <optional>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

import recourse.plugin;
import recourse.support.config;

namespace recourse::plugins {
namespace {

// Tokens are kept in thousandths, as gRPC does: exact arithmetic on one atomic integer, so the
// threshold is never missed by rounding and no lock is needed.
constexpr std::int64_t milli = 1000;

struct GrpcThrottleParams {
  std::int64_t max_milli_tokens = 0;
  std::int64_t milli_token_ratio = 0;
};

// A required number of tokens, > 0 and representable in thousandths.
std::int64_t milli_tokens(support::ConfigReader& in, std::string_view key, std::string_view what) {
  const auto value = in.number(key, 0, 1e9, support::required(what));
  if (!value) return 0;
  const auto thousandths = std::llround(*value * milli);
  if (thousandths <= 0) in.fail(key, "must be at least 0.001 (tokens are kept in thousandths)");
  return thousandths;
}

GrpcThrottleParams parse(const ConfigView& config) {
  static constexpr std::string_view known[]{"plugin", "max_tokens", "token_ratio"};
  support::ConfigReader in(config, known);
  GrpcThrottleParams params;
  params.max_milli_tokens = milli_tokens(in, "max_tokens", "the token count's ceiling, > 0");
  params.milli_token_ratio = milli_tokens(in, "token_ratio", "tokens a success gives back, > 0");
  in.finish();
  return params;
}

}  // namespace

class GrpcThrottleBudget final : public Budget {
 public:
  explicit GrpcThrottleBudget(const ComponentContext& context)
      : params_(parse(context.config)), milli_tokens_(params_.max_milli_tokens) {}

  BudgetDecision acquire(const BudgetRequest&) override {
    // "above half": doubling keeps an odd ceiling exact.
    if (2 * milli_tokens_.load(std::memory_order_relaxed) > params_.max_milli_tokens) return {true, reason::allowed, 0};
    return {false, reason::budget_denied, 0};
  }

  void record(std::string_view, const Outcome& outcome, TimePoint) noexcept override {
    if (outcome.kind == OutcomeKind::success) add(params_.milli_token_ratio);
    else if (outcome.kind == OutcomeKind::retryable || outcome.reason == reason::grpc_pushback_stop) add(-milli);
  }

  std::optional<double> level() noexcept override {
    return static_cast<double>(milli_tokens_.load(std::memory_order_relaxed)) / 1000.0;
  }

  // A reload changed max_tokens or token_ratio: the tokens carry over, clamped to the new
  // maximum, so a throttled client stays throttled.
  void carry_from(const Budget& previous) noexcept override {
    const auto* old = dynamic_cast<const GrpcThrottleBudget*>(&previous);
    if (old == nullptr) return;
    milli_tokens_.store(std::min(old->milli_tokens_.load(std::memory_order_relaxed), params_.max_milli_tokens),
                        std::memory_order_relaxed);
  }

 private:
  // Adds `delta`, clamped to [0, max], in one atomic step.
  void add(std::int64_t delta) noexcept {
    std::int64_t current = milli_tokens_.load(std::memory_order_relaxed);
    std::int64_t next;
    do {
      next = std::clamp<std::int64_t>(current + delta, 0, params_.max_milli_tokens);
    } while (!milli_tokens_.compare_exchange_weak(current, next, std::memory_order_relaxed));
  }

  const GrpcThrottleParams params_;
  std::atomic<std::int64_t> milli_tokens_;
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("grpc_throttle", "1.0.0",
                        recourse::budget_component<recourse::plugins::GrpcThrottleBudget>("grpc_throttle"))
