// The redis_budget plugin's descriptor: librecourse-redis_budget.so carries two budget
// backends, redis_token_bucket and redis_ratio (redis_token_bucket.cpp, redis_ratio.cpp),
// which share their Redis client and settings (recourse.plugins.redis_budget).
#include <recourse/plugin.h>

import recourse.plugin;
import recourse.plugins.redis_budget;

namespace {

constexpr recourse::PluginComponent budget(const char* name, recourse::Factory<recourse::Budget> factory) {
  recourse::PluginComponent component{recourse::ComponentCategory::budget, name, {}};
  component.create.budget = factory;
  return component;
}

}  // namespace

RECOURSE_DECLARE_PLUGIN("redis_budget", "1.0.0",
                        budget("redis_token_bucket", &recourse::plugins::redis_budget::make_token_bucket),
                        budget("redis_ratio", &recourse::plugins::redis_budget::make_ratio))
