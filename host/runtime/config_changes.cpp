// What a new config changes (see config_changes.cppm).
module;
#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

module recourse.host.runtime;

import :changes;

namespace recourse::host {
namespace {

bool same_fields(const std::vector<ConfigField>& a, const std::vector<ConfigField>& b) {
  return std::ranges::equal(a, b, [](const ConfigField& x, const ConfigField& y) {
    return x.name == y.name && same_settings(x.value, y.value);
  });
}

// A layer's effective fields: the last entry for each field wins, as in resolve().
std::map<std::string, std::string> fields_of(const PolicyPatch& patch) {
  std::map<std::string, std::string> fields;
  for (const PatchEntry& entry : patch.entries)
    fields[std::string(entry.field->path)] = format_field_value(entry.value);
  return fields;
}

void compare_layer(const std::string& layer, const PolicyPatch* before, const PolicyPatch* after,
                   std::vector<std::string>& out) {
  if (before == nullptr && after != nullptr) {
    out.push_back(layer + ": added");
    return;
  }
  if (before != nullptr && after == nullptr) {
    out.push_back(layer + ": removed");
    return;
  }
  const auto old_fields = fields_of(*before);
  const auto new_fields = fields_of(*after);
  for (const auto& [path, value] : new_fields) {
    const auto it = old_fields.find(path);
    if (it == old_fields.end()) out.push_back(layer + ": " + path + " set to " + value);
    else if (it->second != value) out.push_back(layer + ": " + path + " " + it->second + " -> " + value);
  }
  for (const auto& [path, value] : old_fields)
    if (!new_fields.contains(path)) out.push_back(layer + ": " + path + " unset (was " + value + ")");
}

template <class Map>
void compare_layers(std::string_view prefix, std::string_view suffix, const Map& before, const Map& after,
                    std::vector<std::string>& out) {
  for (const auto& [name, patch] : after) {
    const auto it = before.find(name);
    compare_layer("policies.\"" + std::string(prefix) + name + std::string(suffix) + "\"",
                  it == before.end() ? nullptr : &it->second, &patch, out);
  }
  for (const auto& [name, patch] : before)
    if (!after.contains(name))
      compare_layer("policies.\"" + std::string(prefix) + name + std::string(suffix) + "\"", &patch, nullptr, out);
}

std::string section_of(const ComponentSpec& spec) {
  if (spec.category == ComponentCategory::provider) return "provider";
  switch (spec.category) {
    case ComponentCategory::classifier: return "classifiers." + spec.name;
    case ComponentCategory::backoff: return "backoffs." + spec.name;
    case ComponentCategory::trigger: return "triggers." + spec.name;
    case ComponentCategory::observer: return "observers." + spec.name;
    case ComponentCategory::budget: return "budgets." + spec.name;
    default: return spec.name;
  }
}

void compare_components(const std::vector<ComponentSpec>& before, const std::vector<ComponentSpec>& after,
                        std::vector<std::string>& out) {
  const auto find = [](const std::vector<ComponentSpec>& specs, const ComponentSpec& like) -> const ComponentSpec* {
    for (const ComponentSpec& s : specs)
      if (s.category == like.category && s.name == like.name) return &s;
    return nullptr;
  };
  for (const ComponentSpec& spec : after) {
    const ComponentSpec* old = find(before, spec);
    if (old == nullptr) out.push_back(section_of(spec) + ": added (plugin " + spec.plugin + ")");
    else if (old->plugin != spec.plugin)
      out.push_back(section_of(spec) + ": replaced (plugin " + old->plugin + " -> " + spec.plugin + ")");
    else if (!same_settings(old->table, spec.table)) out.push_back(section_of(spec) + ": settings changed");
  }
  for (const ComponentSpec& spec : before)
    if (find(after, spec) == nullptr) out.push_back(section_of(spec) + ": removed");
}

template <class T>
void compare_setting(std::string_view name, const T& before, const T& after, std::vector<std::string>& out) {
  if (before != after)
    out.push_back("executor." + std::string(name) + ": " + std::to_string(before) + " -> " + std::to_string(after));
}

}  // namespace

bool same_settings(const ConfigNode& a, const ConfigNode& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ConfigNode::Kind::boolean: return a.boolean == b.boolean;
    case ConfigNode::Kind::integer: return a.integer == b.integer;
    case ConfigNode::Kind::number: return a.number == b.number;
    case ConfigNode::Kind::string: return a.string == b.string;
    case ConfigNode::Kind::array:
      return std::ranges::equal(a.items, b.items,
                                [](const ConfigNode& x, const ConfigNode& y) { return same_settings(x, y); });
    case ConfigNode::Kind::table: return same_fields(a.fields, b.fields);
  }
  return false;
}

std::vector<std::string> describe_changes(const Config& before, const Config& after) {
  std::vector<std::string> out;
  const PolicyTable& a = before.policies;
  const PolicyTable& b = after.policies;
  compare_layer("defaults", &a.defaults, &b.defaults, out);
  compare_layers("", ".*", a.namespaces, b.namespaces, out);
  compare_layers("", "", a.exact, b.exact, out);
  for (std::string& line : describe_component_changes(before, after)) out.push_back(std::move(line));
  return out;
}

std::vector<std::string> describe_component_changes(const Config& before, const Config& after) {
  std::vector<std::string> out;
  compare_components(before.components, after.components, out);
  compare_components(before.budgets, after.budgets, out);
  std::vector<ComponentSpec> old_provider, new_provider;
  if (before.provider) old_provider.push_back(*before.provider);
  if (after.provider) new_provider.push_back(*after.provider);
  compare_components(old_provider, new_provider, out);
  const ExecutorSettings& x = before.executor;
  const ExecutorSettings& y = after.executor;
  compare_setting("max_keys", x.max_keys, y.max_keys, out);
  compare_setting("hedge_threads", x.hedge_threads, y.hedge_threads, out);
  compare_setting("hedge_queue", x.hedge_queue, y.hedge_queue, out);
  if (x.default_classifier != y.default_classifier)
    out.push_back("executor.default_classifier: " + x.default_classifier + " -> " + y.default_classifier);
  if (x.missing.policy != y.missing.policy || x.missing.classifier != y.missing.classifier ||
      x.missing.budget != y.missing.budget)
    out.push_back("executor.missing: changed");
  if (before.plugins.paths != after.plugins.paths || before.plugins.load != after.plugins.load ||
      before.plugins.allow_insecure != after.plugins.allow_insecure)
    out.push_back("plugins: changed");
  return out;
}

}  // namespace recourse::host
