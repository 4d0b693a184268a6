// recourse.host.runtime — from a loaded Config to a working Executor: creates each
// [budgets.<name>] through its backend's factory (which validates its own table) and carries
// over policies and [executor] settings.
module;
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

export module recourse.host.runtime;

export import recourse.core;
export import recourse.host.config;

export namespace recourse::host {

// Creates a budget from its table (`backend` already read). Reports problems as ConfigErrors.
using BudgetFactory = std::function<std::expected<std::shared_ptr<Budget>, std::vector<ConfigError>>(
    const ConfigView& table, Clock& clock)>;

// The budget backends a host can build, by name. `unlimited` is always there.
class BudgetBackends {
 public:
  BudgetBackends();
  void add(std::string name, BudgetFactory factory);
  const BudgetFactory* find(std::string_view name) const;
  std::string known() const;  // "script, unlimited"

 private:
  std::map<std::string, BudgetFactory, std::less<>> factories_;
};

// Everything an Executor needs from `config`; clock and random are the caller's (real or
// virtual). Unknown backends and bad budget parameters are ConfigErrors, all of them at once.
std::expected<ExecutorOptions, ConfigErrors> executor_options(const Config& config, const BudgetBackends& backends,
                                                              std::shared_ptr<Clock> clock,
                                                              std::shared_ptr<RandomSource> random);

}  // namespace recourse::host
