// Building executor options from a Config (see runtime.cppm).
module;
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module recourse.host.runtime;

namespace recourse::host {

BudgetBackends::BudgetBackends() {
  add("unlimited", [](const ConfigView& table, Clock&) -> std::expected<std::shared_ptr<Budget>, std::vector<ConfigError>> {
    static constexpr std::string_view known[]{"backend"};
    if (auto errors = table.unknown_fields(known); !errors.empty()) return std::unexpected(std::move(errors));
    return std::make_shared<UnlimitedBudget>();
  });
}

void BudgetBackends::add(std::string name, BudgetFactory factory) { factories_[std::move(name)] = std::move(factory); }

const BudgetFactory* BudgetBackends::find(std::string_view name) const {
  const auto it = factories_.find(name);
  return it == factories_.end() ? nullptr : &it->second;
}

std::string BudgetBackends::known() const {
  std::string text;
  for (const auto& [name, factory] : factories_) text.append(text.empty() ? "" : ", ").append(name);
  return text;
}

std::expected<ExecutorOptions, ConfigErrors> executor_options(const Config& config, const BudgetBackends& backends,
                                                              std::shared_ptr<Clock> clock,
                                                              std::shared_ptr<RandomSource> random) {
  ExecutorOptions options;
  ConfigErrors errors;
  for (const BudgetSpec& spec : config.budgets) {
    const ConfigView view(spec.table);
    const BudgetFactory* factory = backends.find(spec.backend);
    if (factory == nullptr) {
      errors.errors.push_back(view.error("backend", "no budget backend named \"" + spec.backend +
                                                        "\"; known: " + backends.known()));
      continue;
    }
    auto budget = (*factory)(view, *clock);
    if (!budget) {
      for (ConfigError& e : budget.error()) errors.errors.push_back(std::move(e));
      continue;
    }
    if (auto added = options.budgets.add(spec.name, std::move(*budget)); !added)
      errors.errors.push_back(view.error("", added.error()));
  }
  if (!errors.errors.empty()) return std::unexpected(std::move(errors));
  options.provider = std::make_shared<StaticPolicyProvider>(config.policies);
  options.missing = config.executor.missing;
  options.max_keys = config.executor.max_keys;
  options.default_classifier = config.executor.default_classifier;
  options.clock = std::move(clock);
  options.random = std::move(random);
  return options;
}

}  // namespace recourse::host
