// recourse.host.runtime — from a loaded Config to a working Executor: loads the [plugins],
// creates the components the config uses (its [classifiers.x], [backoffs.x], [triggers.x],
// [budgets.x], [observers.x] and [provider] tables, and the plugin components its policies
// and [executor] name) through their factories, which validate their own tables, and
// assembles the executor. A plugin component nothing names is not created. Every problem is a
// ConfigError at the line that caused it, all of them at once, each reported once.
module;
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

export module recourse.host.runtime;

export import recourse.core;
export import recourse.host.config;
export import recourse.host.plugins;
export import :catalogue;

export namespace recourse::host {

// The host's logger for plugins: spdlog, one named logger per runtime.
std::shared_ptr<Logger> make_spdlog_logger(std::string name);

// A config made real. Members are ordered so the executor goes first and the services it and
// the plugins' objects use (clock, random source, logger) go last.
struct Runtime {
  // Pinned: `services` points at the members above it and `components` at `plugins`.
  Runtime() = default;
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  std::shared_ptr<Clock> clock;
  std::shared_ptr<RandomSource> random;
  std::shared_ptr<Logger> logger;
  ConfigPolicyFiles policy_files;  // for providers that keep policies in files
  PluginContext services;
  PluginSet plugins;
  ComponentCatalogue components;  // what the config could name: built-ins, host extras, plugins
  // The [budgets.x] instances as built (also inside the executor): tools chart their level.
  std::vector<std::pair<std::string, std::shared_ptr<Budget>>> budgets;
  std::unique_ptr<Executor> executor;
};

struct RuntimeOptions {
  std::shared_ptr<Clock> clock;          // null: SystemClock
  std::shared_ptr<RandomSource> random;  // null: SplitMixRandom
  std::shared_ptr<Logger> logger;        // null: spdlog
  std::vector<std::shared_ptr<Observer>> extra_observers;  // added after the configured ones
  // Host components beside the built-ins (`recourse test` adds its `script` budget); the
  // runtime adds the loaded plugins' components to a copy. Null: the built-ins alone.
  const ComponentCatalogue* components = nullptr;
  // A policy naming a classifier, backoff or budget nobody provides is a config error listing
  // the known names. `recourse test` turns this off: its scenarios exercise the executor's
  // missing-component modes on purpose.
  bool check_references = true;
  // False: [observers.x] and the [provider] are only looked up (does a loaded plugin provide
  // the component?), not created — `recourse validate`, since creating an observer opens its
  // output file (and the trace observer truncates it). The runtime is then only for checking.
  bool create_observers_and_provider = true;
  // Config::deprecations are logged (warn) when the runtime is built; false for callers that
  // report them themselves, or build many runtimes from one config (the simulator).
  bool log_deprecations = true;
};

std::expected<std::unique_ptr<Runtime>, ConfigErrors> build_runtime(const Config& config, RuntimeOptions options = {});

}  // namespace recourse::host
