// A test plugin whose components cannot start with default parameters: backoff `stepped`
// needs `step`, classifier `boom` throws from its constructor. Loading the plugin must fail
// no config that does not use them; a policy that does gets one error at its line.
#include <recourse/plugin.h>

#include <chrono>  // the std operators on Duration are not visible through import alone

#include <stdexcept>
#include <string_view>
#include <vector>

import recourse.plugin;

namespace {

class SteppedBackoff final : public recourse::BackoffStrategy {
 public:
  explicit SteppedBackoff(const recourse::ComponentContext& context) {
    static constexpr std::string_view known[]{"plugin", "step"};
    std::vector<recourse::ConfigError> errors = context.config.unknown_fields(known);
    if (auto step = context.config.duration("step"); !step) errors.push_back(step.error());
    else if (!*step) errors.push_back(context.config.error("step", "missing required field \"step\" (the backoff step)"));
    else step_ = **step;
    if (!errors.empty()) throw recourse::ConfigException(std::move(errors));
  }
  recourse::Duration delay(const recourse::BackoffInput&) const override { return step_; }

 private:
  recourse::Duration step_{};
};

class BoomClassifier final : public recourse::Classifier {
 public:
  explicit BoomClassifier(const recourse::ComponentContext&) { throw std::runtime_error("boom in constructor"); }
  recourse::Outcome classify(const recourse::AttemptView&) const override { return {}; }
};

}  // namespace

RECOURSE_DECLARE_PLUGIN("needs-parameter", "1.0.0", recourse::backoff_component<SteppedBackoff>("stepped"),
                        recourse::classifier_component<BoomClassifier>("boom"))
