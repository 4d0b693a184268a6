// recourse.host.runtime:catalogue — every component a config can name, by category and name:
// the core's built-ins, the host's own extras (`recourse test` adds the `script` budget) and
// the components of the loaded plugins. It is the one source of every "known: …" list, of
// `recourse explain`'s "served by", and of creating a component from its table — so those
// cannot disagree about what exists.
//
// A plugin component shadows a built-in or host component of the same name (a plugin may
// serve `always`, as it may serve any policy default); a name the host registers twice keeps
// the later factory. Copying a catalogue copies the built-ins and host components, not the
// plugins: those belong to the PluginSet they were added from.
module;
#include <cstdint>
#include <exception>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

export module recourse.host.runtime:catalogue;

import recourse.core;
import recourse.host.config;
import recourse.host.plugins;

export namespace recourse::host {

class ComponentCatalogue {
 public:
  enum class Origin : std::uint8_t {
    builtin,  // in the core (builtin_components); the executor has an instance by this name
    host,     // added by the host program
    plugin,   // a component of a loaded plugin
  };

  struct Entry {
    ComponentCategory category;
    std::string name;
    Origin origin;
    std::string_view summary;            // built-ins: what it does
    const PluginInfo* plugin = nullptr;  // Origin::plugin: which plugin serves it
  };

  // Creates a component from its table (ComponentContext::config); reports bad parameters by
  // throwing ConfigException, like a plugin factory.
  template <class Interface>
  using HostFactory = std::function<std::shared_ptr<Interface>(const ComponentContext& context)>;

  // The core's built-ins; `unlimited` can also be configured ([budgets.x] plugin = "unlimited").
  ComponentCatalogue();
  ComponentCatalogue(const ComponentCatalogue& other);
  ComponentCatalogue& operator=(const ComponentCatalogue& other);
  ComponentCatalogue(ComponentCatalogue&&) noexcept = default;
  ComponentCatalogue& operator=(ComponentCatalogue&&) noexcept = default;

  // A host component `name`, created through `factory`.
  template <class Interface>
  void add_host(std::string name, HostFactory<Interface> factory) {
    add_entry(Entry{CategoryOf<Interface>::value, name, Origin::host, {}, nullptr});
    std::get<Factories<Interface>>(factories_).insert_or_assign(std::move(name), std::move(factory));
  }

  // The components of `plugins`, which must outlive this catalogue.
  void add_plugins(const PluginSet& plugins);
  // The components `info` lists, for lookups only (create() refuses them without add_plugins):
  // what tools that read plugin descriptions, not objects, need. `info` must outlive this.
  void add_plugin_info(const PluginInfo& info);

  // What serves `name` in `category`, or null.
  const Entry* find(ComponentCategory category, std::string_view name) const noexcept;
  // Every name of `category` once: built-ins, host components, then plugin components.
  std::vector<std::string> names(ComponentCategory category) const;
  // Whether a table can create it (`plugin = "<name>"`): a plugin or host component, or a
  // built-in with a factory. The names of those, for messages.
  bool creatable(ComponentCategory category, std::string_view name) const noexcept;
  std::vector<std::string> creatable_names(ComponentCategory category) const;

  // Creates `name` from its table. A name that is not creatable is an error listing those that are.
  template <class Interface>
  std::expected<std::shared_ptr<Interface>, std::vector<ConfigError>> create(std::string_view name,
                                                                             const ComponentContext& context) const {
    constexpr ComponentCategory category = CategoryOf<Interface>::value;
    const Entry* entry = find(category, name);
    if (entry != nullptr && entry->origin == Origin::plugin && plugins_ != nullptr)
      return plugins_->create<Interface>(name, context);
    const auto& factories = std::get<Factories<Interface>>(factories_);
    const auto factory = factories.find(name);
    if (entry == nullptr || factory == factories.end())
      return std::unexpected(std::vector{not_creatable(category, name, context)});
    try {
      if (auto made = factory->second(context)) return made;
      return std::unexpected(std::vector{failed_to_start(category, name, context, nullptr)});
    } catch (const ConfigException& e) {
      return std::unexpected(e.errors());
    } catch (...) {
      return std::unexpected(std::vector{failed_to_start(category, name, context, std::current_exception())});
    }
  }

 private:
  template <class Interface>
  using Factories = std::map<std::string, HostFactory<Interface>, std::less<>>;

  void add_entry(Entry entry);
  ConfigError not_creatable(ComponentCategory category, std::string_view name, const ComponentContext& context) const;
  // "<category> \"<name>\" failed to start: <what>" (`error` null: the factory returned null).
  static ConfigError failed_to_start(ComponentCategory category, std::string_view name, const ComponentContext& context,
                                     std::exception_ptr error);

  std::vector<Entry> entries_;         // built-ins and host components, in registration order
  std::vector<Entry> plugin_entries_;  // looked up first: a plugin shadows a name
  std::tuple<Factories<Classifier>, Factories<BackoffStrategy>, Factories<Budget>, Factories<Observer>,
             Factories<PolicyProvider>, Factories<HedgeTrigger>>
      factories_;
  const PluginSet* plugins_ = nullptr;
};

std::string_view to_string(ComponentCatalogue::Origin origin) noexcept;

}  // namespace recourse::host
