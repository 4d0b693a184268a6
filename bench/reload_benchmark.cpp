// Reloads: how long Runtime::apply takes for the default config (its plugins loaded, every
// component built, the generation swapped), and whether memory stays flat over 10 000 reloads
// while two threads keep calling (the RSS before and after, as counters).
//
//   build/release/bench/reload_benchmark --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

import recourse.host.runtime;

namespace {

// The default config; its ${RECOURSE_PLUGIN_DIR} is this build's plugins (next to the library).
std::string default_config() {
  std::ifstream in(RECOURSE_DEFAULT_CONFIG);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A second version of it: the defaults' attempts changed, so every reload swaps a generation
// that differs.
std::string variant(const std::string& config) {
  return config + "\n[policies.\"bench.Variant\"]\nretry.max_attempts = 2\n";
}

std::unique_ptr<recourse::host::Runtime> make_runtime(const std::string& text) {
  auto config = recourse::host::parse_config(text, "recourse.toml");
  if (!config) throw std::runtime_error(recourse::host::to_string(config.error()));
  recourse::host::RuntimeOptions options;
  options.log_deprecations = false;
  auto runtime = recourse::host::build_runtime(*config, std::move(options));
  if (!runtime) throw std::runtime_error(recourse::host::to_string(runtime.error()));
  return std::move(*runtime);
}

long rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

void BM_ReloadDefaultConfig(benchmark::State& state) {
  const std::string a = default_config();
  const std::string b = variant(a);
  auto runtime = make_runtime(a);
  bool flip = false;
  for (auto _ : state) {
    const auto result = runtime->apply((flip = !flip) ? b : a, "recourse.toml");
    if (!result.accepted) state.SkipWithError("a reload was refused");
  }
}
BENCHMARK(BM_ReloadDefaultConfig)->Unit(benchmark::kMicrosecond);

void BM_TenThousandReloadsUnderLoad(benchmark::State& state) {
  const std::string a = default_config();
  const std::string b = variant(a);
  for (auto _ : state) {
    auto runtime = make_runtime(a);
    std::atomic<bool> stop{false};
    std::vector<std::jthread> callers;
    for (int t = 0; t < 2; ++t)
      callers.emplace_back([&] {
        while (!stop.load(std::memory_order_relaxed))
          (void)runtime->executor->try_run("catalog.GetItem", [](const recourse::Attempt&) { return 1; });
      });
    for (int i = 0; i < 100; ++i) (void)runtime->apply(i % 2 == 0 ? b : a, "recourse.toml");  // warm
    const long before = rss_kb();
    for (int i = 0; i < 10000; ++i) (void)runtime->apply(i % 2 == 0 ? b : a, "recourse.toml");
    const long after = rss_kb();
    stop = true;
    callers.clear();
    state.counters["rss_before_kb"] = static_cast<double>(before);
    state.counters["rss_after_kb"] = static_cast<double>(after);
    state.counters["retiring_after"] = static_cast<double>(runtime->executor->generations_retiring());
  }
}
BENCHMARK(BM_TenThousandReloadsUnderLoad)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
