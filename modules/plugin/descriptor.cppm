// recourse.plugin:descriptor — the one thing a plugin shared object exports: a C-linkage
// function returning its PluginDescriptor (ABI version, build fingerprint, name, version and
// components). The host reads and checks it before calling anything else in the library
// (OBS's obs_module_ver, Envoy's dynamic modules). <recourse/plugin.h> declares it with one macro.
module;
#include "recourse/export.h"

#include <cstddef>
#include <atomic>
#include <cstdint>
#include <exception>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

export module recourse.plugin:descriptor;

import :clock;
import :config_view;
import :components;
import :policy_feed;
import recourse.policy;

export namespace recourse {

// 2: virtuals appended to Clock (work accounting), Budget (level), Observer (on_hedge), and the
// trigger component category — a plugin built against 1 would lack the vtable entries.
// 3: the interior walls (docs/decisions/0005): Clock is time only (wall_now added, the work
// accounting gone to the core), so every Clock vtable moved — see the decision for the rest.
inline constexpr std::uint32_t plugin_abi_major = 4;  // a change that breaks loaded plugins
// 4.1: CallInfo::key_slot appended (a plugin built against 4.0 reads the fields before it).
// 4.2: PolicyFeed and PolicyFeedHost (a provider that derives from PolicyFeed gets documents
// applied as reloads; an older provider is never cast to it).
// 4.3: PluginContext::feeds (FeedStatusSource) appended: what an exporter shows of the feed.
// 4.4: PreparingPolicyProvider, KeyedPolicyFeed and PolicyFeedHost::offer_key (appended; only
// the host implements PolicyFeedHost): a control plane asked for each key on its first use.
// 4.5: SelectiveObserver (an Observer that says which events it wants; an older observer is
// never cast to it and is told everything, as before).
inline constexpr std::uint32_t plugin_abi_minor = 5;  // an addition old plugins survive
inline constexpr std::string_view version = "0.1.0";

enum class ComponentCategory : std::uint32_t { classifier, backoff, budget, observer, provider, trigger };

RECOURSE_API std::string_view to_string(ComponentCategory category) noexcept;

enum class LogLevel : std::uint8_t { debug, info, warn, error };

// An executor's own counters (Executor::observer_errors(), over_limit_calls()), kept across its
// generations. A host that creates one and hands it to the executor (ExecutorOptions::stats)
// and to its components (PluginContext::stats) lets an exporter publish them.
struct ExecutorStats {
  std::atomic<std::uint64_t> observer_errors{0};   // observer callbacks that threw
  std::atomic<std::uint64_t> over_limit_calls{0};  // calls of keys past max_keys
};

// The host's logger, handed to plugins (spdlog's registry is per shared object, so plugins
// never reach for a global one).
class RECOURSE_API Logger {
 public:
  virtual ~Logger();
  virtual void log(LogLevel level, std::string_view message) noexcept = 0;
};

// Reads a file of policies ([defaults], [policies."…"]) with the host's own strict reader, so a
// provider that keeps policies in files (toml_file) needs no TOML library and reports errors
// exactly as the host does: every one with file:line:col and the field path.
class RECOURSE_API PolicyFileReader {
 public:
  virtual ~PolicyFileReader();
  virtual std::expected<PolicyTable, std::vector<ConfigError>> read(const std::filesystem::path& file) const = 0;
};

// Services the host owns and shares with every component it creates.
struct PluginContext {
  Clock* clock = nullptr;
  RandomSource* random = nullptr;
  Logger* logger = nullptr;
  const PolicyFileReader* policy_files = nullptr;  // null: this host reads no policy files
  // The counters of the executor the components serve, for exporters (ABI 4.1; null from a
  // host that gives none). Alive as long as any component it was handed to.
  const ExecutorStats* stats = nullptr;
  // The running generation's policy feed, for exporters (ABI 4.3; null from a host that gives
  // none). Alive as long as any component it was handed to.
  const FeedStatusSource* feeds = nullptr;
};

// What a factory gets: the component's own config table and the host's services.
struct ComponentContext {
  const ConfigView& config;
  const PluginContext& host;
  std::string_view instance_name;  // the name policies use for this instance
};

// A factory returns `new Impl` as a pointer to its category's interface. It reports bad
// parameters by throwing ConfigException; anything else it throws is reported as a failure of
// the plugin. Factories are typed per category: the host calls the one the category names, so
// no object crosses the boundary as `void*`.
template <class Interface>
using Factory = Interface* (*)(const ComponentContext& context);

// Exactly one member is set: the one of the component's category (the host refuses a plugin
// whose component lacks it).
struct ComponentFactories {
  Factory<Classifier> classifier = nullptr;
  Factory<BackoffStrategy> backoff = nullptr;
  Factory<Budget> budget = nullptr;
  Factory<Observer> observer = nullptr;
  Factory<PolicyProvider> provider = nullptr;
  Factory<HedgeTrigger> trigger = nullptr;
};

struct PluginComponent {
  ComponentCategory category;
  const char* name;
  ComponentFactories create;
};

// The category an interface belongs to, and its factory in a ComponentFactories.
template <class Interface>
struct CategoryOf;
template <>
struct CategoryOf<Classifier> {
  static constexpr ComponentCategory value = ComponentCategory::classifier;
  static constexpr auto factory = &ComponentFactories::classifier;
};
template <>
struct CategoryOf<BackoffStrategy> {
  static constexpr ComponentCategory value = ComponentCategory::backoff;
  static constexpr auto factory = &ComponentFactories::backoff;
};
template <>
struct CategoryOf<Budget> {
  static constexpr ComponentCategory value = ComponentCategory::budget;
  static constexpr auto factory = &ComponentFactories::budget;
};
template <>
struct CategoryOf<Observer> {
  static constexpr ComponentCategory value = ComponentCategory::observer;
  static constexpr auto factory = &ComponentFactories::observer;
};
template <>
struct CategoryOf<PolicyProvider> {
  static constexpr ComponentCategory value = ComponentCategory::provider;
  static constexpr auto factory = &ComponentFactories::provider;
};
template <>
struct CategoryOf<HedgeTrigger> {
  static constexpr ComponentCategory value = ComponentCategory::trigger;
  static constexpr auto factory = &ComponentFactories::trigger;
};

// Whether the component sets the factory of its own category and no other (a hand-written
// descriptor can get this wrong; the host refuses such a plugin).
RECOURSE_API bool has_factory(const PluginComponent& component) noexcept;

// Whatever must match for C++ objects to cross between the host and the plugin.
struct BuildFingerprint {
  const char* compiler;        // "clang 19.1.7"
  long cxx_standard;           // __cplusplus
  const char* standard_library;  // "libstdc++ 12"
  int cxx11_abi;               // _GLIBCXX_USE_CXX11_ABI
  const char* recourse_version;
};

struct PluginDescriptor {
  std::uint32_t abi_major;
  std::uint32_t abi_minor;
  BuildFingerprint fingerprint;
  const char* name;
  const char* version;
  const PluginComponent* components;
  std::size_t component_count;
};

// The fingerprint the core was built with; a plugin's must equal it.
RECOURSE_API BuildFingerprint core_fingerprint() noexcept;

// Thrown by component factories for bad parameters; carries every error at once.
class RECOURSE_API ConfigException : public std::exception {
 public:
  explicit ConfigException(std::vector<ConfigError> errors);
  explicit ConfigException(ConfigError error);
  const char* what() const noexcept override;
  const std::vector<ConfigError>& errors() const noexcept;

 private:
  std::vector<ConfigError> errors_;
  std::string message_;
};

template <class Interface, class Impl>
Interface* create_component(const ComponentContext& context) {
  return new Impl(context);
}

// Entries for RECOURSE_DECLARE_PLUGIN: recourse::classifier_component<HttpClassifier>("http").
template <class Interface, class Impl>
constexpr PluginComponent component_of(const char* name) {
  PluginComponent component{CategoryOf<Interface>::value, name, {}};
  component.create.*CategoryOf<Interface>::factory = &create_component<Interface, Impl>;
  return component;
}
template <class Impl>
constexpr PluginComponent classifier_component(const char* name) {
  return component_of<Classifier, Impl>(name);
}
template <class Impl>
constexpr PluginComponent backoff_component(const char* name) {
  return component_of<BackoffStrategy, Impl>(name);
}
template <class Impl>
constexpr PluginComponent budget_component(const char* name) {
  return component_of<Budget, Impl>(name);
}
template <class Impl>
constexpr PluginComponent observer_component(const char* name) {
  return component_of<Observer, Impl>(name);
}
template <class Impl>
constexpr PluginComponent provider_component(const char* name) {
  return component_of<PolicyProvider, Impl>(name);
}
template <class Impl>
constexpr PluginComponent trigger_component(const char* name) {
  return component_of<HedgeTrigger, Impl>(name);
}

}  // namespace recourse
