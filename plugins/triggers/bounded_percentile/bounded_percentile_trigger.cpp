// The `bounded_percentile` hedge trigger: a latency percentile of the key's recent successful
// attempts, scaled and kept within bounds — so one pathological sample window can neither hedge
// every call at once (a collapsed p95) nor never (a p95 stuck at a timeout). Before the key has
// hedge.min_samples successes it answers `warmup` (or nothing: no hedges) instead.
//
// [triggers.<name>] plugin = "bounded_percentile", percentile = 95, multiplier = 1.0,
//                   min = "5ms", max = "1s", warmup = "100ms"
// [policies."svc.Get".hedge] trigger = "custom", trigger_name = "<name>"
#include <recourse/plugin.h>

#include <chrono>  // the std operators on Duration are not visible through import alone

#include <algorithm>
#include <optional>
#include <string_view>

import recourse.plugin;
import recourse.support.config;

namespace recourse::plugins {

class BoundedPercentileTrigger final : public HedgeTrigger {
 public:
  explicit BoundedPercentileTrigger(const ComponentContext& context) {
    const ConfigView& config = context.config;
    static constexpr std::string_view known[]{"plugin", "percentile", "multiplier", "min", "max", "warmup"};
    support::ConfigReader in(config, known);
    if (auto p = in.number("percentile", 1, 100)) percentile_ = *p;
    if (auto m = in.number("multiplier", 0.01, 100)) multiplier_ = *m;
    if (auto low = in.duration("min")) min_ = *low;
    if (auto high = in.duration("max")) max_ = *high;
    warmup_ = in.duration("warmup");
    if (in.ok() && max_ < min_) in.fail("max", "must not be below min");
    in.finish();
  }

  std::optional<Duration> delay(const HedgeTriggerInput& input) const override {
    const std::optional<Duration> observed =
        input.latencies != nullptr ? input.latencies->percentile(percentile_) : std::nullopt;
    if (!observed) return warmup_;
    const double scaled = static_cast<double>(observed->count()) * multiplier_;
    const double bounded = std::clamp(scaled, static_cast<double>(min_.count()), static_cast<double>(max_.count()));
    return Duration(static_cast<Duration::rep>(bounded));
  }

 private:
  double percentile_ = 95;
  double multiplier_ = 1.0;
  Duration min_ = std::chrono::milliseconds(1);
  Duration max_ = std::chrono::seconds(10);
  std::optional<Duration> warmup_;
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("bounded_percentile", "1.0.0",
                        recourse::trigger_component<recourse::plugins::BoundedPercentileTrigger>("bounded_percentile"))
