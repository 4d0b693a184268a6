// The `exponential` backoff plugin: initial × multiplier^(retry−1), capped at max_backoff,
// overflow-safe at any retry number. The built-in strategy of the same name does the math;
// the plugin form takes its place when loaded.
#include <recourse/plugin.h>

#include <chrono>  // the std operators on Duration are not visible through import alone

#include <string_view>

import recourse.core;

namespace recourse::plugins {

class ExponentialBackoffPlugin final : public BackoffStrategy {
 public:
  explicit ExponentialBackoffPlugin(const ComponentContext& context) {
    static constexpr std::string_view known[]{"plugin"};
    if (auto errors = context.config.unknown_fields(known); !errors.empty()) throw ConfigException(std::move(errors));
  }
  Duration delay(const BackoffInput& input) const override { return strategy_.delay(input); }

 private:
  ExponentialBackoff strategy_;
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("exponential", "1.0.0",
                        recourse::backoff_component<recourse::plugins::ExponentialBackoffPlugin>("exponential"))
