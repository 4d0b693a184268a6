// Resolving component names to what serves them (see component_sources.cppm).
module;
#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module recourse.host.analysis;

namespace recourse::host {
namespace {

using Kind = ComponentSource::Kind;

const PluginInfo* provider_of(std::span<const PluginInfo> plugins, ComponentCategory category,
                              std::string_view component) {
  for (const PluginInfo& plugin : plugins)
    for (const auto& [c, name] : plugin.components)
      if (c == category && name == component) return &plugin;
  return nullptr;
}

void served_by(ComponentSource& out, const PluginInfo& plugin, std::string detail) {
  out.kind = Kind::plugin;
  out.plugin = plugin.name + " " + plugin.version;
  out.file = plugin.file.string();
  out.detail = std::move(detail);
}

// Classifiers, backoffs and hedge triggers: configured instance, then a plugin's own name,
// then built-in.
ComponentSource named(std::string role, ComponentCategory category, const std::string& name, const Config& config,
                      std::span<const PluginInfo> plugins, std::initializer_list<std::string_view> builtins) {
  ComponentSource out{std::move(role), name};
  const std::string section = category == ComponentCategory::classifier ? "classifiers"
                              : category == ComponentCategory::trigger  ? "triggers"
                                                                        : "backoffs";
  const auto spec = std::ranges::find_if(config.components, [&](const ComponentSpec& s) {
    return s.category == category && s.name == name;
  });
  if (spec != config.components.end()) {
    if (const PluginInfo* plugin = provider_of(plugins, category, spec->plugin))
      served_by(out, *plugin, fmt::format("[{}.{}], component {}", section, name, spec->plugin));
    else
      out.detail = fmt::format("[{}.{}] names component \"{}\", which no loaded plugin provides", section, name,
                               spec->plugin);
    return out;
  }
  if (const PluginInfo* plugin = provider_of(plugins, category, name)) {
    served_by(out, *plugin, fmt::format("component {}, default parameters", name));
  } else if (std::ranges::find(builtins, name) != builtins.end()) {
    out.kind = Kind::builtin;
  } else {
    out.detail = fmt::format("no {} named \"{}\": no [{}.{}] section, no loaded plugin provides it and it is not "
                             "built in",
                             to_string(category), name, section, name);
  }
  return out;
}

ComponentSource budget(std::string role, const std::string& name, const Config& config,
                       std::span<const PluginInfo> plugins) {
  ComponentSource out{std::move(role), name};
  const auto spec = std::ranges::find(config.budgets, name, &BudgetSpec::name);
  if (spec == config.budgets.end()) {
    out.detail = fmt::format("no [budgets.{}] section", name);
  } else if (spec->backend == "unlimited") {
    out.kind = Kind::builtin;
    out.detail = fmt::format("[budgets.{}], backend unlimited: never refuses", name);
  } else if (const PluginInfo* plugin = provider_of(plugins, ComponentCategory::budget, spec->backend)) {
    served_by(out, *plugin, fmt::format("[budgets.{}], backend {}", name, spec->backend));
  } else {
    out.detail = fmt::format("[budgets.{}] names backend \"{}\", which no loaded plugin provides", name, spec->backend);
  }
  return out;
}

}  // namespace

std::string_view to_string(ComponentSource::Kind kind) noexcept {
  switch (kind) {
    case Kind::builtin: return "built-in";
    case Kind::plugin: return "plugin";
    case Kind::missing: return "missing";
  }
  return "invalid";
}

std::vector<ComponentSource> component_sources(const Policy& policy, const Config& config,
                                               std::span<const PluginInfo> plugins) {
  std::vector<ComponentSource> out;
  out.push_back(named("classifier", ComponentCategory::classifier, policy.retry.classifier, config, plugins,
                      {"always", "never"}));
  out.push_back(named("backoff", ComponentCategory::backoff, policy.retry.backoff, config, plugins,
                      {"exponential", "constant"}));
  if (!policy.retry.budget.name.empty())
    out.push_back(budget("retry budget", policy.retry.budget.name, config, plugins));
  if (policy.hedge.enabled && !policy.hedge.budget.name.empty())
    out.push_back(budget("hedge budget", policy.hedge.budget.name, config, plugins));
  if (policy.hedge.enabled && policy.hedge.trigger == HedgeTriggerKind::custom)
    out.push_back(named("hedge trigger", ComponentCategory::trigger, policy.hedge.trigger_name, config, plugins, {}));
  return out;
}

}  // namespace recourse::host
