// The component catalogue (see component_catalogue.cppm).
module;
#include <algorithm>
#include <exception>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

module recourse.host.runtime;

import :catalogue;

namespace recourse::host {

ComponentCatalogue::ComponentCatalogue() {
  for (const BuiltinComponent& b : builtin_components)
    add_entry(Entry{b.category, std::string(b.name), Origin::builtin, b.summary, nullptr});
  // The one built-in a table can configure: [budgets.x] plugin = "unlimited" (no parameters).
  std::get<Factories<Budget>>(factories_)
      .insert_or_assign(std::string(builtin::unlimited), [](const ComponentContext& context) {
        static constexpr std::string_view known[]{"plugin"};
        if (auto errors = context.config.unknown_fields(known); !errors.empty())
          throw ConfigException(std::move(errors));
        return std::make_shared<UnlimitedBudget>();
      });
}

ComponentCatalogue::ComponentCatalogue(const ComponentCatalogue& other)
    : entries_(other.entries_), factories_(other.factories_) {}

ComponentCatalogue& ComponentCatalogue::operator=(const ComponentCatalogue& other) {
  if (this != &other) {
    entries_ = other.entries_;
    factories_ = other.factories_;
    plugin_entries_.clear();
    plugins_ = nullptr;
  }
  return *this;
}

void ComponentCatalogue::add_entry(Entry entry) {
  std::vector<Entry>& list = entry.origin == Origin::plugin ? plugin_entries_ : entries_;
  const auto same =
      std::ranges::find_if(list, [&](const Entry& e) { return e.category == entry.category && e.name == entry.name; });
  if (same != list.end()) *same = std::move(entry);
  else list.push_back(std::move(entry));
}

void ComponentCatalogue::add_plugins(const PluginSet& plugins) {
  plugins_ = &plugins;
  for (const PluginInfo& info : plugins.plugins()) add_plugin_info(info);
}

void ComponentCatalogue::add_plugin_info(const PluginInfo& info) {
  for (const auto& [category, name] : info.components) add_entry(Entry{category, name, Origin::plugin, {}, &info});
}

const ComponentCatalogue::Entry* ComponentCatalogue::find(ComponentCategory category,
                                                          std::string_view name) const noexcept {
  const auto matches = [&](const Entry& e) { return e.category == category && e.name == name; };
  if (const auto it = std::ranges::find_if(plugin_entries_, matches); it != plugin_entries_.end()) return &*it;
  const auto it = std::ranges::find_if(entries_, matches);
  return it == entries_.end() ? nullptr : &*it;
}

std::vector<std::string> ComponentCatalogue::names(ComponentCategory category) const {
  std::vector<std::string> out;
  for (const std::vector<Entry>* list : {&entries_, &plugin_entries_})
    for (const Entry& e : *list)
      if (e.category == category && std::ranges::find(out, e.name) == out.end()) out.push_back(e.name);
  return out;
}

bool ComponentCatalogue::creatable(ComponentCategory category, std::string_view name) const noexcept {
  const Entry* entry = find(category, name);
  if (entry == nullptr) return false;
  if (entry->origin == Origin::plugin) return true;
  switch (category) {
    case ComponentCategory::classifier: return std::get<Factories<Classifier>>(factories_).contains(name);
    case ComponentCategory::backoff: return std::get<Factories<BackoffStrategy>>(factories_).contains(name);
    case ComponentCategory::budget: return std::get<Factories<Budget>>(factories_).contains(name);
    case ComponentCategory::observer: return std::get<Factories<Observer>>(factories_).contains(name);
    case ComponentCategory::provider: return std::get<Factories<PolicyProvider>>(factories_).contains(name);
    case ComponentCategory::trigger: return std::get<Factories<HedgeTrigger>>(factories_).contains(name);
  }
  return false;
}

std::vector<std::string> ComponentCatalogue::creatable_names(ComponentCategory category) const {
  std::vector<std::string> out;
  for (std::string& name : names(category))
    if (creatable(category, name)) out.push_back(std::move(name));
  return out;
}

ConfigError ComponentCatalogue::not_creatable(ComponentCategory category, std::string_view name,
                                              const ComponentContext& context) const {
  const std::vector<std::string> known = creatable_names(category);
  return context.config.error("plugin", unknown_name(std::string(to_string(category)) + " plugin", name,
                                                     std::vector<std::string_view>(known.begin(), known.end())));
}

ConfigError ComponentCatalogue::failed_to_start(ComponentCategory category, std::string_view name,
                                                const ComponentContext& context, std::exception_ptr error) {
  const std::string what = std::string(to_string(category)) + " \"" + std::string(name) + "\" failed to start: ";
  if (!error) return context.config.error("", what + "its factory returned null");
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return context.config.error("", what + e.what());
  } catch (...) {
    return context.config.error("", what + "it threw something that is not a std::exception");
  }
}

std::string_view to_string(ComponentCatalogue::Origin origin) noexcept {
  switch (origin) {
    case ComponentCatalogue::Origin::builtin: return "built-in";
    case ComponentCatalogue::Origin::host: return "host";
    case ComponentCatalogue::Origin::plugin: return "plugin";
  }
  return "unknown";
}

}  // namespace recourse::host
