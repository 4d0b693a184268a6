// Fuzz target: the [simulation] model (host/simulate read_simulation), from config text, and a
// tiny run of it (at most max_run_calls calls on one client, virtual time) when its variants'
// policies build with the built-in components. Properties: errors are located
// (config_errors.hpp); an accepted model keeps the bounds of spec.cppm (durations, phases,
// bucket); a run gives one result per variant, accounts for every call (successes plus failures
// by final reason), and keeps its time series within max_buckets.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "config_errors.hpp"
#include "fuzz_check.hpp"

import recourse.host.simulate;

using recourse::fuzz::check;
namespace sim = recourse::host::simulate;

namespace {

constexpr std::uint64_t max_run_calls = 8;
constexpr std::size_t max_run_variants = 2;

void check_bounds(const sim::SimulationSpec& spec) {
  check(!spec.dependency.latency.empty(), "a read dependency has a latency part to draw from");
  const auto within = [](recourse::Duration d, recourse::Duration max) { return d >= recourse::Duration::zero() && d <= max; };
  for (const sim::LatencyPart& part : spec.dependency.latency)
    check(within(part.value, sim::max_model_duration) && within(part.low, sim::max_model_duration) &&
              within(part.high, sim::max_model_duration) && within(part.median, sim::max_model_duration) &&
              part.low <= part.high,
          "latencies within the model's bounds");
  if (spec.dependency.error_latency)
    check(within(*spec.dependency.error_latency, sim::max_model_duration), "error latency within bounds");
  check(within(spec.think_time, sim::max_model_duration), "think time within bounds");
  check(spec.bucket >= std::chrono::milliseconds(1) && spec.bucket <= sim::max_model_duration, "bucket within bounds");
  for (const sim::Phase& phase : spec.dependency.phases)
    check(within(phase.start, sim::max_phase_time) && within(phase.end, sim::max_phase_time) && phase.start < phase.end,
          "phases within bounds", phase.label);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto config = recourse::host::parse_config(recourse::fuzz::text(data, size), "fuzz.toml");
  if (!config) {
    recourse::fuzz::check_errors(config.error(), "fuzz.toml");
    return 0;
  }
  if (!config->simulation) return 0;
  auto spec = sim::read_simulation(*config->simulation);
  if (!spec) {
    recourse::fuzz::check_errors(spec.error(), "fuzz.toml");
    return 0;
  }
  check_bounds(*spec);
  check(!sim::describe(*spec).empty(), "a model describes itself");
  if (spec->variants.empty() || spec->variants.size() > max_run_variants) return 0;

  config->plugins = recourse::host::PluginSettings{};  // built-in components only
  sim::RunOptions options;
  options.calls = std::min<std::uint64_t>(spec->calls, max_run_calls);
  options.clients = 1;
  options.progress = false;
  auto report = sim::run_simulation(*config, *spec, options);
  if (!report) {
    recourse::fuzz::check_errors(report.error(), "fuzz.toml");
    return 0;
  }
  check(report->variants.size() == spec->variants.size(), "one result per variant");
  for (const auto& v : report->variants) {
    std::uint64_t failed = 0;
    for (const auto& r : v.final_reasons) failed += r.calls;
    check(v.successes + failed == v.calls, "every call succeeded or has a final reason", v.name);
    check(v.latencies_ms.size() == v.calls, "one latency per call", v.name);
    check(v.dependency_load.size() <= sim::max_buckets && v.budget_tokens.size() <= sim::max_buckets,
          "time series within max_buckets", v.name);
  }
  return 0;
}
