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

using Origin = ComponentCatalogue::Origin;

std::string_view section(ComponentCategory category) {
  switch (category) {
    case ComponentCategory::classifier: return "classifiers";
    case ComponentCategory::trigger: return "triggers";
    case ComponentCategory::budget: return "budgets";
    default: return "backoffs";
  }
}

// What `entry` (null: nothing) means for `out`; `detail` describes a plugin's use.
void served_by(ComponentSource& out, const ComponentCatalogue::Entry* entry, std::string detail) {
  if (entry == nullptr) return;
  if (entry->origin == Origin::plugin && entry->plugin != nullptr) {
    out.kind = Kind::plugin;
    out.plugin = entry->plugin->name + " " + entry->plugin->version;
    out.file = entry->plugin->file.string();
    out.detail = std::move(detail);
  } else {
    out.kind = Kind::builtin;
  }
}

// A configured instance, then the catalogue's component of that name (a plugin's, else a
// built-in). Budgets have only configured instances.
ComponentSource named(std::string role, ComponentCategory category, const std::string& name, const Config& config,
                      const ComponentCatalogue& catalogue) {
  ComponentSource out{std::move(role), name};
  const std::vector<ComponentSpec>& specs = category == ComponentCategory::budget ? config.budgets : config.components;
  const auto spec =
      std::ranges::find_if(specs, [&](const ComponentSpec& s) { return s.category == category && s.name == name; });
  if (spec != specs.end()) {
    const ComponentCatalogue::Entry* entry = catalogue.find(category, spec->plugin);
    if (entry == nullptr)
      out.detail = fmt::format("[{}.{}] names component \"{}\", which no loaded plugin provides", section(category),
                               name, spec->plugin);
    else if (!catalogue.creatable(category, spec->plugin))  // the runtime refuses it too
      out.detail = fmt::format("[{}.{}] names the built-in \"{}\", which takes no table; name \"{}\" directly",
                               section(category), name, spec->plugin, spec->plugin);
    if (entry == nullptr || !catalogue.creatable(category, spec->plugin)) return out;
    served_by(out, entry, fmt::format("[{}.{}], component {}", section(category), name, spec->plugin));
    if (entry->origin != Origin::plugin)
      out.detail = fmt::format("[{}.{}], built-in {}: {}", section(category), name, spec->plugin, entry->summary);
    return out;
  }
  if (category == ComponentCategory::budget) {
    out.detail = fmt::format("no [budgets.{}] section", name);
    return out;
  }
  const ComponentCatalogue::Entry* entry = catalogue.find(category, name);
  served_by(out, entry, fmt::format("component {}, default parameters", name));
  if (entry == nullptr)
    out.detail = fmt::format(
        "no {} named \"{}\": no [{}.{}] section, no loaded plugin provides it and it is not "
        "built in",
        to_string(category), name, section(category), name);
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
                                               const ComponentCatalogue& catalogue) {
  std::vector<ComponentSource> out;
  out.push_back(named("classifier", ComponentCategory::classifier, policy.retry.classifier, config, catalogue));
  out.push_back(named("backoff", ComponentCategory::backoff, policy.retry.backoff, config, catalogue));
  if (!policy.retry.budget.name.empty())
    out.push_back(named("retry budget", ComponentCategory::budget, policy.retry.budget.name, config, catalogue));
  if (policy.hedge.enabled && !policy.hedge.budget.name.empty())
    out.push_back(named("hedge budget", ComponentCategory::budget, policy.hedge.budget.name, config, catalogue));
  if (policy.hedge.enabled && policy.hedge.trigger == HedgeTriggerKind::custom)
    out.push_back(named("hedge trigger", ComponentCategory::trigger, policy.hedge.trigger_name, config, catalogue));
  return out;
}

}  // namespace recourse::host
