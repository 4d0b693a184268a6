// Fuzz target: config text → a built runtime (host/config parse_config, host/runtime
// build_runtime) with the built-in components only: [plugins] is dropped before building, so
// no code is loaded and every input is fast. The clock is virtual and the logger silent.
// Properties: errors are located (config_errors.hpp); a config that parses resolves every
// configured key to a policy inside the normalization bounds (DESIGN.md §4), and normalizing it
// again changes nothing; its exact keys are canonical.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "config_errors.hpp"
#include "fuzz_check.hpp"

import recourse.core;
import recourse.host.config;
import recourse.host.runtime;

using recourse::fuzz::check;

namespace {

class SilentLogger final : public recourse::Logger {
 public:
  void log(recourse::LogLevel, std::string_view) noexcept override {}
};

void check_policy(const recourse::Key& key, const recourse::PolicyTable& table) {
  namespace limits = recourse::limits;
  const recourse::ResolvedPolicy resolved = recourse::resolve(table, key);
  const recourse::Policy& p = resolved.policy;
  const std::string& shown = key.str();
  check(resolved.origins.size() == recourse::policy_fields().size(), "one origin per policy field", shown);
  check(p.retry.max_attempts >= limits::min_attempts && p.retry.max_attempts <= limits::max_attempts,
        "max_attempts within bounds", shown);
  check(p.retry.initial_backoff >= limits::min_backoff && p.retry.initial_backoff <= limits::max_backoff,
        "initial_backoff within bounds", shown);
  check(p.retry.max_backoff >= p.retry.initial_backoff && p.retry.max_backoff <= limits::max_backoff,
        "max_backoff within bounds", shown);
  check(p.retry.multiplier >= limits::min_multiplier && p.retry.multiplier <= limits::max_multiplier,
        "multiplier within bounds", shown);
  if (p.hedge.enabled) {
    check(p.hedge.max_hedges >= limits::min_hedges && p.hedge.max_hedges <= limits::max_hedges,
          "max_hedges within bounds", shown);
    check(p.hedge.delay >= limits::min_hedge_delay, "hedge delay within bounds", shown);
  }
  if (p.circuit.enabled) {
    check(p.circuit.threshold >= limits::min_circuit_threshold, "circuit threshold within bounds", shown);
    check(p.circuit.cooldown >= limits::min_cooldown, "circuit cooldown within bounds", shown);
  }
  check(recourse::normalize(p).normalized.size() == p.normalized.size(), "normalizing twice changes nothing", shown);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto clock = std::make_shared<recourse::VirtualClock>();
  static const auto logger = std::make_shared<SilentLogger>();
  auto config = recourse::host::parse_config(recourse::fuzz::text(data, size), "fuzz.toml");
  if (!config) {
    recourse::fuzz::check_errors(config.error(), "fuzz.toml");
    return 0;
  }
  for (const auto& [text, patch] : config->policies.exact) {
    const auto key = recourse::Key::parse(text);
    check(key.has_value() && key->str() == text, "an exact policy key is canonical", text);
    check_policy(*key, config->policies);
  }
  for (const auto& [ns, patch] : config->policies.namespaces)
    if (const auto key = recourse::Key::parse(ns + ".fuzz")) check_policy(*key, config->policies);
  check_policy(*recourse::Key::parse("fuzz.Unconfigured"), config->policies);

  config->plugins = recourse::host::PluginSettings{};  // built-in components only
  recourse::host::RuntimeOptions options;
  options.clock = clock;
  options.random = std::make_shared<recourse::FixedRandom>(0.5);
  options.logger = logger;
  auto runtime = recourse::host::build_runtime(*config, std::move(options));
  if (!runtime) {
    recourse::fuzz::check_errors(runtime.error(), "fuzz.toml");
    return 0;
  }
  check((*runtime)->executor != nullptr, "a built runtime has an executor");
  return 0;
}
