// The `decorrelated` backoff, AWS's "decorrelated jitter": sleep = min(cap, uniform(base,
// 3 × previous sleep)), previous starting at base (= initial_backoff). The randomness is in the
// strategy itself, from the host's random source; combine it with jitter = "none". The step is
// the core's recourse::decorrelated_jitter — the same one jitter = "decorrelated" uses — so
// `backoff = "decorrelated", jitter = "none"` and `jitter = "decorrelated"` give equal delays.
#include <recourse/plugin.h>

#include <chrono>  // the std operators on Duration are not visible through import alone

#include <string_view>

import recourse.plugin;

namespace recourse::plugins {

class DecorrelatedBackoff final : public BackoffStrategy {
 public:
  explicit DecorrelatedBackoff(const ComponentContext& context) : random_(context.host.random) {
    static constexpr std::string_view known[]{"plugin"};
    auto errors = context.config.unknown_fields(known);
    if (random_ == nullptr) errors.push_back(context.config.error("", "needs the host's random source, and none was given"));
    if (!errors.empty()) throw ConfigException(std::move(errors));
  }

  Duration delay(const BackoffInput& input) const override {
    return decorrelated_jitter(*input.policy, input.previous, random_->next_unit());
  }

 private:
  RandomSource* random_;
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("decorrelated", "1.0.0",
                        recourse::backoff_component<recourse::plugins::DecorrelatedBackoff>("decorrelated"))
