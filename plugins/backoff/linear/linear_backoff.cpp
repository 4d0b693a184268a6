// The `linear` backoff: initial + step × (retry − 1), capped at max_backoff. `step` defaults
// to initial_backoff (10ms, 20ms, 30ms, …).
//
// [backoffs.<name>] plugin = "linear", step = "25ms"
#include <recourse/plugin.h>

#include <chrono>  // the std operators on Duration are not visible through import alone

#include <algorithm>
#include <optional>
#include <string_view>

import recourse.plugin;

namespace recourse::plugins {

class LinearBackoff final : public BackoffStrategy {
 public:
  explicit LinearBackoff(const ComponentContext& context) {
    static constexpr std::string_view known[]{"plugin", "step"};
    auto errors = context.config.unknown_fields(known);
    if (auto step = context.config.duration("step"); !step) errors.push_back(step.error());
    else step_ = *step;
    if (!errors.empty()) throw ConfigException(std::move(errors));
  }

  Duration delay(const BackoffInput& input) const override {
    const RetryPolicy& p = *input.policy;
    const double step = static_cast<double>(step_.value_or(p.initial_backoff).count());
    // In floating point and capped before converting back, so retry 1e9 cannot overflow.
    const double grown = static_cast<double>(p.initial_backoff.count()) + step * std::max(input.retry - 1, 0);
    return Duration(static_cast<Duration::rep>(std::min(grown, static_cast<double>(p.max_backoff.count()))));
  }

 private:
  std::optional<Duration> step_;
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("linear", "1.0.0", recourse::backoff_component<recourse::plugins::LinearBackoff>("linear"))
