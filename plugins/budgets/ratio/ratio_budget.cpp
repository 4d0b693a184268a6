// The `ratio` budget: Finagle's retry budget. Over a sliding `window`, retries (and hedges)
// may number `percent`% of the calls started, plus `min_per_second` for every second of the
// window so a quiet service can still retry. Calls are counted by call_started() (once per
// call, so first attempts and retries are told apart), retries by granted acquire()s (less
// those released unused: a retry abandoned during its backoff never ran). The
// window is 10 buckets on the host clock: an event stops counting between 9/10 and 10/10 of a
// window after it happened. One window per instance, shared by every key naming it.
//
// [budgets.<name>] plugin = "ratio", percent = 20, window = "10s" (default),
// min_per_second = 10 (default)
#include <recourse/plugin.h>

#include <algorithm>
#include <optional>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

import recourse.plugin;
import recourse.support.config;

namespace recourse::plugins {
namespace {

constexpr std::int64_t bucket_count = 10;

struct RatioParams {
  double percent = 0;
  Duration window = std::chrono::seconds(10);
  double min_per_second = 10;
};

RatioParams parse(const ConfigView& config) {
  static constexpr std::string_view known[]{"plugin", "percent", "window", "min_per_second"};
  support::ConfigReader in(config, known);
  RatioParams params;
  if (auto percent = in.number("percent", 0, 1000, support::required("retries allowed per 100 calls, 0-1000")))
    params.percent = *percent;
  if (auto window = in.duration("window")) {
    if (*window < Duration(bucket_count)) in.fail("window", "must be at least 10ns (it is split into 10 buckets)");
    else params.window = *window;
  }
  if (auto min_per_second = in.number("min_per_second", 0, 1e9)) params.min_per_second = *min_per_second;
  in.finish();
  return params;
}

}  // namespace

class RatioBudget final : public Budget {
 public:
  explicit RatioBudget(const ComponentContext& context)
      : params_(parse(context.config)),
        clock_(context.host.clock),
        bucket_width_(params_.window / bucket_count),
        reserve_(100 * params_.min_per_second * std::chrono::duration<double>(params_.window).count()) {
    if (clock_ == nullptr) throw std::invalid_argument("the ratio budget needs the host clock");
  }

  BudgetDecision acquire(const BudgetRequest&) override {
    const std::lock_guard lock(mutex_);
    const std::int64_t now = advance();
    const auto [requests, retries] = window_totals(now);
    // Scaled by 100 so whole percents compare exactly: retries + 1 <= percent/100 * requests + reserve.
    if (100.0 * static_cast<double>(retries + 1) > params_.percent * static_cast<double>(requests) + reserve_)
      return {false, reason::budget_denied, 0};
    ++current(now).retries;
    // The token names the bucket that counted the retry, so an unused one can be taken back.
    return {true, reason::allowed, static_cast<std::uint64_t>(now)};
  }

  // A retry that never ran (abandoned during its backoff) is no retry: uncount it, if its
  // bucket still counts that slice of time.
  void release(const BudgetRequest& request, std::uint64_t token) noexcept override {
    if (!request.unused) return;
    const std::lock_guard lock(mutex_);
    const auto index = static_cast<std::int64_t>(token);
    Bucket& b = buckets_[static_cast<std::size_t>(((index % bucket_count) + bucket_count) % bucket_count)];
    if (b.index == index && b.retries > 0) --b.retries;
  }

  // Retries it would allow now: percent of the window's requests plus the reserve, less those
  // already taken.
  std::optional<double> level() noexcept override {
    const std::lock_guard lock(mutex_);
    const auto [requests, retries] = window_totals(advance());
    return std::max(
        0.0, (params_.percent * static_cast<double>(requests) + reserve_) / 100.0 - static_cast<double>(retries));
  }

  void call_started(std::string_view, TimePoint) noexcept override {
    const std::lock_guard lock(mutex_);
    const std::int64_t now = advance();
    ++current(now).requests;
  }

  // A reload changed percent, window or min_per_second: the calls and retries counted so far
  // carry over. With the same window the buckets come as they are, and age out as before;
  // with another, the old window's totals go into the current bucket, so they leave the new
  // window at once, one window from now.
  void carry_from(const Budget& previous) noexcept override {
    const auto* old = dynamic_cast<const RatioBudget*>(&previous);
    if (old == nullptr) return;
    std::array<Bucket, bucket_count> buckets;
    std::int64_t latest = 0;
    std::pair<std::int64_t, std::int64_t> totals;
    {
      const std::lock_guard lock(old->mutex_);
      buckets = old->buckets_;
      latest = std::max(old->latest_, old->bucket_index(old->clock_->now()));
      totals = old->window_totals(latest);
    }
    const std::lock_guard lock(mutex_);
    if (bucket_width_ == old->bucket_width_) {
      buckets_ = buckets;
      latest_ = latest;
      return;
    }
    Bucket& now = current(advance());
    now.requests += totals.first;
    now.retries += totals.second;
  }

 private:
  struct Bucket {
    std::int64_t index = std::numeric_limits<std::int64_t>::min();  // the slice of time it counts
    std::int64_t requests = 0;
    std::int64_t retries = 0;
  };

  std::int64_t bucket_index(TimePoint t) const noexcept {
    const std::int64_t since = std::chrono::duration_cast<Duration>(t.time_since_epoch()).count();
    const std::int64_t width = bucket_width_.count();
    return since / width - (since % width < 0);  // floor: a virtual clock may start before the epoch
  }

  // Requests and retries counted in the window ending at bucket `now`.
  std::pair<std::int64_t, std::int64_t> window_totals(std::int64_t now) const noexcept {
    std::int64_t requests = 0, retries = 0;
    for (const Bucket& b : buckets_) {
      if (b.index <= now - bucket_count) continue;  // older than the window (or never used)
      requests += b.requests;
      retries += b.retries;
    }
    return {requests, retries};
  }

  // The current bucket index. Under the lock and never backwards, so a bucket is only ever
  // emptied for a newer slice of time.
  std::int64_t advance() noexcept {
    latest_ = std::max(latest_, bucket_index(clock_->now()));
    return latest_;
  }

  // The bucket for `index`, emptied if it last counted an older slice.
  Bucket& current(std::int64_t index) noexcept {
    Bucket& b = buckets_[static_cast<std::size_t>(((index % bucket_count) + bucket_count) % bucket_count)];
    if (b.index != index) b = Bucket{index, 0, 0};
    return b;
  }

  const RatioParams params_;
  Clock* const clock_;
  const Duration bucket_width_;
  const double reserve_;  // 100 * min_per_second * window seconds
  mutable std::mutex mutex_;  // carry_from() locks its predecessor's
  std::array<Bucket, bucket_count> buckets_{};
  std::int64_t latest_ = std::numeric_limits<std::int64_t>::min();
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("ratio", "1.0.0", recourse::budget_component<recourse::plugins::RatioBudget>("ratio"))
