// The `constant` backoff plugin: retry.initial_backoff before every retry. The same strategy
// is built into the executor; the plugin form takes its place when loaded, so a deployment can
// ship or pin it like any other component.
#include <recourse/plugin.h>

#include <chrono>  // the std operators on Duration are not visible through import alone

#include <string_view>

import recourse.core;

namespace recourse::plugins {

class ConstantBackoffPlugin final : public BackoffStrategy {
 public:
  explicit ConstantBackoffPlugin(const ComponentContext& context) {
    static constexpr std::string_view known[]{"plugin"};
    if (auto errors = context.config.unknown_fields(known); !errors.empty()) throw ConfigException(std::move(errors));
  }
  Duration delay(const BackoffInput& input) const override { return strategy_.delay(input); }

 private:
  ConstantBackoff strategy_;
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("constant", "1.0.0",
                        recourse::backoff_component<recourse::plugins::ConstantBackoffPlugin>("constant"))
