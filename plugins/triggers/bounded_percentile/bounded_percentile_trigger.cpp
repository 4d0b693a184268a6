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

namespace recourse::plugins {

class BoundedPercentileTrigger final : public HedgeTrigger {
 public:
  explicit BoundedPercentileTrigger(const ComponentContext& context) {
    const ConfigView& config = context.config;
    static constexpr std::string_view known[]{"plugin", "percentile", "multiplier", "min", "max", "warmup"};
    auto errors = config.unknown_fields(known);
    if (auto p = config.number("percentile", 1, 100); !p) errors.push_back(p.error());
    else if (*p) percentile_ = **p;
    if (auto m = config.number("multiplier", 0.01, 100); !m) errors.push_back(m.error());
    else if (*m) multiplier_ = **m;
    if (auto low = config.duration("min"); !low) errors.push_back(low.error());
    else if (*low) min_ = **low;
    if (auto high = config.duration("max"); !high) errors.push_back(high.error());
    else if (*high) max_ = **high;
    if (auto warmup = config.duration("warmup"); !warmup) errors.push_back(warmup.error());
    else warmup_ = *warmup;
    if (errors.empty() && max_ < min_) errors.push_back(config.error("max", "must not be below min"));
    if (!errors.empty()) throw ConfigException(std::move(errors));
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
