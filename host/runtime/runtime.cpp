// Building a Runtime from a Config (see runtime.cppm).
module;
#include <spdlog/sinks/stdout_color_sinks.h>  // also declares stderr_color_mt
#include <spdlog/spdlog.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

module recourse.host.runtime;

namespace recourse::host {
namespace {

class SpdlogLogger final : public Logger {
 public:
  explicit SpdlogLogger(std::string name) : logger_(spdlog::stderr_color_mt(name + "-" + std::to_string(++instances))) {}
  void log(LogLevel level, std::string_view message) noexcept override {
    try {
      logger_->log(level == LogLevel::debug  ? spdlog::level::debug
                   : level == LogLevel::info ? spdlog::level::info
                   : level == LogLevel::warn ? spdlog::level::warn
                                             : spdlog::level::err,
                   "{}", message);
    } catch (...) {
    }
  }
  ~SpdlogLogger() override { spdlog::drop(logger_->name()); }

 private:
  static inline std::atomic<int> instances{0};
  std::shared_ptr<spdlog::logger> logger_;
};

bool builtin_classifier(std::string_view name) { return name == "always" || name == "never"; }
bool builtin_backoff(std::string_view name) { return name == "exponential" || name == "constant"; }

// "no classifier named "htp"; known: always, http, never"
std::string known(std::string_view what, std::string_view name, std::vector<std::string_view> names,
                  std::initializer_list<std::string_view> builtins) {
  for (std::string_view b : builtins)
    if (std::ranges::find(names, b) == names.end()) names.push_back(b);
  std::ranges::sort(names);
  std::string text = "no " + std::string(what) + " named \"" + std::string(name) + "\"; known: ";
  for (std::size_t i = 0; i < names.size(); ++i) text.append(i ? ", " : "").append(names[i]);
  return text;
}

const ConfigNode& empty_table() {
  static const ConfigNode table;
  return table;
}

class Builder {
 public:
  Builder(const Config& config, Runtime& runtime, ExecutorOptions& options, const BudgetBackends& backends)
      : config_(config), runtime_(runtime), options_(options), backends_(backends) {}

  ConfigErrors errors;

  void keep(std::vector<ConfigError> more) {
    for (ConfigError& e : more) errors.errors.push_back(std::move(e));
  }

  template <class Interface>
  std::shared_ptr<Interface> make(ComponentCategory category, std::string_view plugin, const ConfigNode& table,
                                  std::string_view instance) {
    const ConfigView view(table);
    const ComponentContext context{view, runtime_.services, instance};
    auto made = runtime_.plugins.create<Interface>(category, plugin, context);
    if (!made) {
      keep(std::move(made.error()));
      return nullptr;
    }
    return std::move(*made);
  }

  template <class Interface>
  void add(ComponentRegistry<Interface>& registry, const std::string& name, std::shared_ptr<Interface> component,
           const ConfigNode& where) {
    if (!component) return;
    if (auto added = registry.add(name, std::move(component)); !added)
      errors.errors.push_back(ConfigError{where.where, where.path, added.error()});
  }

  void components() {
    // Named instances first, so a plugin's default instance never takes a configured name.
    for (const ComponentSpec& spec : config_.components) {
      if (spec.category == ComponentCategory::classifier)
        add(options_.classifiers, spec.name, make<Classifier>(spec.category, spec.plugin, spec.table, spec.name), spec.table);
      else if (spec.category == ComponentCategory::backoff)
        add(options_.backoffs, spec.name, make<BackoffStrategy>(spec.category, spec.plugin, spec.table, spec.name), spec.table);
      else if (spec.category == ComponentCategory::trigger)
        add(options_.triggers, spec.name, make<HedgeTrigger>(spec.category, spec.plugin, spec.table, spec.name), spec.table);
      else if (auto observer = make<Observer>(spec.category, spec.plugin, spec.table, spec.name))
        options_.observers.push_back(std::move(observer));
    }
    // Every loaded classifier, backoff and trigger is usable by its own name with defaults.
    for (const std::string& name : runtime_.plugins.names(ComponentCategory::classifier))
      if (!options_.classifiers.find(name))
        add(options_.classifiers, name, make<Classifier>(ComponentCategory::classifier, name, empty_table(), name), empty_table());
    for (const std::string& name : runtime_.plugins.names(ComponentCategory::backoff))
      if (!options_.backoffs.find(name))
        add(options_.backoffs, name, make<BackoffStrategy>(ComponentCategory::backoff, name, empty_table(), name), empty_table());
    for (const std::string& name : runtime_.plugins.names(ComponentCategory::trigger))
      if (!options_.triggers.find(name))
        add(options_.triggers, name, make<HedgeTrigger>(ComponentCategory::trigger, name, empty_table(), name), empty_table());
  }

  void budgets() {
    for (const BudgetSpec& spec : config_.budgets) {
      const ConfigView view(spec.table);
      const ComponentContext context{view, runtime_.services, spec.name};
      std::shared_ptr<Budget> budget;
      if (const BudgetFactory* factory = backends_.find(spec.backend)) {
        auto made = (*factory)(context);
        if (!made) keep(std::move(made.error()));
        else budget = std::move(*made);
      } else if (runtime_.plugins.provides(ComponentCategory::budget, spec.backend)) {
        budget = make<Budget>(ComponentCategory::budget, spec.backend, spec.table, spec.name);
      } else {
        std::string known;
        for (const std::string& n : backends_.names()) known.append(known.empty() ? "" : ", ").append(n);
        for (const std::string& n : runtime_.plugins.names(ComponentCategory::budget)) known.append(", ").append(n);
        errors.errors.push_back(view.error("backend", "no budget backend named \"" + spec.backend + "\"; known: " + known));
      }
      if (budget) runtime_.budgets.emplace_back(spec.name, budget);
      add(options_.budgets, spec.name, std::move(budget), spec.table);
    }
  }

  // A policy that names a classifier, backoff or budget nobody provides is a config error at
  // the line that names it, listing the known names (the executor's missing-component modes are
  // for components that disappear at run time, not for typos).
  void check_references() {
    // `table` is the policy table's TOML path, so each error names the field as written.
    const auto check = [&](const PolicyPatch& patch, const std::string& table) {
      for (const PatchEntry& entry : patch.entries) {
        const std::string_view path = entry.field->path;
        const auto* name = std::get_if<std::string>(&entry.value);
        if (name == nullptr || name->empty()) continue;
        std::string missing;
        if (path == "retry.classifier" && !options_.classifiers.find(*name) && !builtin_classifier(*name))
          missing = known("classifier", *name, options_.classifiers.names(), {"always", "never"});
        else if (path == "retry.backoff" && !options_.backoffs.find(*name) && !builtin_backoff(*name))
          missing = known("backoff strategy", *name, options_.backoffs.names(), {"constant", "exponential"});
        else if ((path == "retry.budget.name" || path == "hedge.budget.name") && !options_.budgets.find(*name) &&
                 !declared_budget(*name))  // a declared budget that failed to build has its own error
          missing = known("budget", *name, options_.budgets.names(), {});
        else if (path == "hedge.trigger_name" && !options_.triggers.find(*name))
          missing = known("hedge trigger", *name, options_.triggers.names(), {});
        if (!missing.empty()) errors.errors.push_back(ConfigError{entry.where, table + "." + std::string(path), missing});
      }
    };
    check(config_.policies.defaults, "defaults");
    for (const auto& [ns, patch] : config_.policies.namespaces) check(patch, "policies.\"" + ns + ".*\"");
    for (const auto& [key, patch] : config_.policies.exact) check(patch, "policies.\"" + key + "\"");
  }

  bool declared_budget(std::string_view name) const {
    for (const BudgetSpec& spec : config_.budgets)
      if (spec.name == name) return true;
    return false;
  }

  void provider() {
    if (config_.provider)
      options_.provider = make<PolicyProvider>(ComponentCategory::provider, config_.provider->plugin,
                                               config_.provider->table, "provider");
    else options_.provider = std::make_shared<StaticPolicyProvider>(config_.policies);
  }

 private:
  const Config& config_;
  Runtime& runtime_;
  ExecutorOptions& options_;
  const BudgetBackends& backends_;
};

}  // namespace

BudgetBackends::BudgetBackends() {
  add("unlimited", [](const ComponentContext& context) -> std::expected<std::shared_ptr<Budget>, std::vector<ConfigError>> {
    static constexpr std::string_view known[]{"backend"};
    if (auto errors = context.config.unknown_fields(known); !errors.empty()) return std::unexpected(std::move(errors));
    return std::make_shared<UnlimitedBudget>();
  });
}

void BudgetBackends::add(std::string name, BudgetFactory factory) { factories_[std::move(name)] = std::move(factory); }

const BudgetFactory* BudgetBackends::find(std::string_view name) const {
  const auto it = factories_.find(name);
  return it == factories_.end() ? nullptr : &it->second;
}

std::vector<std::string> BudgetBackends::names() const {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories_) names.push_back(name);
  return names;
}

std::shared_ptr<Logger> make_spdlog_logger(std::string name) { return std::make_shared<SpdlogLogger>(std::move(name)); }

std::expected<std::unique_ptr<Runtime>, ConfigErrors> build_runtime(const Config& config, RuntimeOptions options) {
  auto runtime = std::make_unique<Runtime>();
  runtime->clock = options.clock ? std::move(options.clock) : std::make_shared<SystemClock>();
  runtime->random = options.random ? std::move(options.random)
                                   : std::make_shared<SplitMixRandom>(static_cast<std::uint64_t>(
                                         std::chrono::steady_clock::now().time_since_epoch().count()));
  runtime->logger = options.logger ? std::move(options.logger) : make_spdlog_logger("recourse");
  runtime->services = PluginContext{runtime->clock.get(), runtime->random.get(), runtime->logger.get()};
  if (config.plugins.present) runtime->plugins = PluginSet::load(config.plugins);

  static const BudgetBackends host_backends;
  ExecutorOptions executor_options;
  Builder builder(config, *runtime, executor_options, options.backends ? *options.backends : host_backends);
  for (const PluginRefusal& r : runtime->plugins.refusals())
    builder.errors.errors.push_back(ConfigError{config.plugins.where, "plugins", r.file.string() + ": " + r.reason});
  builder.components();
  builder.budgets();
  if (options.check_references) builder.check_references();
  builder.provider();
  if (!builder.errors.errors.empty()) return std::unexpected(std::move(builder.errors));

  for (auto& observer : options.extra_observers) executor_options.observers.push_back(std::move(observer));
  executor_options.missing = config.executor.missing;
  executor_options.max_keys = config.executor.max_keys;
  executor_options.hedge_threads = config.executor.hedge_threads;
  executor_options.hedge_queue = config.executor.hedge_queue;
  executor_options.default_classifier = config.executor.default_classifier;
  executor_options.clock = runtime->clock;
  executor_options.random = runtime->random;
  runtime->executor = std::make_unique<Executor>(std::move(executor_options));
  return runtime;
}

}  // namespace recourse::host
