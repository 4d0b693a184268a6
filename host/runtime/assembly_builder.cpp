// Assembling one generation from a Config (see runtime.cppm): the Builder loads the
// [plugins], creates or keeps every component the config uses, and fills the ExecutorOptions
// the executor's next generation is made of; assemble() runs it, all errors at once.
module;
#include "recourse/mutex.h"

#include <atomic>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <tuple>
#include <type_traits>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

module recourse.host.runtime;

import :changes;

namespace recourse::host {
namespace {

// How messages call a category: "backoff strategy", "hedge trigger", ...
std::string_view what(ComponentCategory category) {
  switch (category) {
    case ComponentCategory::backoff: return "backoff strategy";
    case ComponentCategory::trigger: return "hedge trigger";
    default: return to_string(category);
  }
}

std::string_view section(ComponentCategory category) {
  switch (category) {
    case ComponentCategory::classifier: return "classifiers";
    case ComponentCategory::backoff: return "backoffs";
    case ComponentCategory::trigger: return "triggers";
    case ComponentCategory::observer: return "observers";
    default: return to_string(category);
  }
}

// A component name the config uses: a policy field, [executor] default_classifier, or a
// built-in policy default (which a plugin component of the same name serves).
struct Reference {
  ComponentCategory category;
  std::string name;
  SourceLocation where;  // line 0: a built-in default
  std::string path;      // the field as written: policies."a.B".retry.classifier
  std::size_t order = 0;  // as collected, to keep the order of uses at one place
};

ComponentCategory category_of(std::string_view field_path) {
  if (field_path == "retry.classifier") return ComponentCategory::classifier;
  if (field_path == "retry.backoff") return ComponentCategory::backoff;
  if (field_path == "hedge.trigger_name") return ComponentCategory::trigger;
  return ComponentCategory::budget;  // retry.budget.name, hedge.budget.name
}

bool names_a_component(std::string_view field_path) {
  return field_path == "retry.classifier" || field_path == "retry.backoff" || field_path == "hedge.trigger_name" ||
         field_path == "retry.budget.name" || field_path == "hedge.budget.name";
}

// Builds the components a config uses. Instances are created only for names something uses:
// every configured [classifiers.x] / [backoffs.x] / [triggers.x] / [observers.x] / [budgets.x]
// table (the user asked for it), and a plugin component by its own name, with default
// parameters, only when a policy, [executor] or a built-in default names it — so a plugin
// component nobody uses can never fail a config. A failure is reported once, at the table or
// at the first field (in file order) that uses the name.
class Builder {
 public:
  // `previous`: the running generation's assembly, whose unchanged budgets and observers are
  // kept (null for the first).
  Builder(const Config& config, Assembly& assembly, const Runtime& runtime, ExecutorOptions& options,
          bool check_references, const Assembly* previous)
      : config_(config),
        assembly_(assembly),
        runtime_(runtime),
        catalogue_(assembly.components),
        options_(options),
        check_references_(check_references),
        previous_(previous) {}

  ConfigErrors errors;

  void keep(std::vector<ConfigError> more) {
    for (ConfigError& e : more) errors.errors.push_back(std::move(e));
  }

  // Configured instances, budgets included; observers are only looked up here (observers()).
  void configured() {
    for (const ComponentSpec& spec : config_.components) configured(spec, false);
    for (const ComponentSpec& spec : config_.budgets) configured(spec, false);
  }

  // The [observers.x] instances, created last — once everything else was built without an
  // error — since creating one opens its output file (the trace observer truncates it): a
  // config refused for another reason must not touch the running observers' files.
  void observers() {
    for (const ComponentSpec& spec : config_.components)
      if (spec.category == ComponentCategory::observer) configured(spec, true);
  }

  void configured(const ComponentSpec& spec, bool create_observers) {
    if (spec.plugin.empty()) return;  // a partial reading: the loader reported its table
    if (!catalogue_.creatable(spec.category, spec.plugin)) {
      unknown_plugin(spec);
      return;
    }
    switch (spec.category) {
      case ComponentCategory::classifier:
        add(options_.classifiers, spec.name, make<Classifier>(spec.plugin, spec.table, spec.name), spec.table);
        break;
      case ComponentCategory::backoff:
        add(options_.backoffs, spec.name, make<BackoffStrategy>(spec.plugin, spec.table, spec.name), spec.table);
        break;
      case ComponentCategory::trigger:
        add(options_.triggers, spec.name, make<HedgeTrigger>(spec.plugin, spec.table, spec.name), spec.table);
        break;
      case ComponentCategory::budget:
        if (auto budget = kept_or_made<Budget>(spec, previous_budgets())) {
          assembly_.budgets.emplace_back(spec.name, budget);
          add(options_.budgets, spec.name, std::move(budget), spec.table);
        }
        break;
      case ComponentCategory::observer:
        if (!create_observers) break;  // looked up only: creatable above
        if (auto observer = kept_or_made<Observer>(spec, previous_observers())) {
          assembly_.observers.emplace_back(spec.name, observer);
          options_.observers.push_back(std::move(observer));
        }
        break;
      case ComponentCategory::provider: break;  // provider()
    }
  }

  // Every name the config uses, in file order: plugin components it names are created (once);
  // a name nothing provides is an error listing the known names, when `check_references`
  // (the executor's missing-component modes are for components that disappear at run time,
  // not for typos).
  void references() {
    for (const Reference& ref : used_names()) {
      if (ref.category == ComponentCategory::budget) {
        if (!declared(ref.category, ref.name) && check_references_)
          errors.errors.push_back(ConfigError{ref.where, ref.path, unknown("budget", ref.category, ref.name)});
        continue;
      }
      if (declared(ref.category, ref.name) || attempted_.contains({ref.category, ref.name})) continue;
      const ComponentCatalogue::Entry* entry = catalogue_.find(ref.category, ref.name);
      if (entry != nullptr && entry->origin != ComponentCatalogue::Origin::builtin) {
        attempted_.insert({ref.category, ref.name});
        create_default(ref);
      } else if (check_references_ && entry == nullptr) {
        errors.errors.push_back(ConfigError{ref.where, ref.path, unknown(what(ref.category), ref.category, ref.name)});
      }
    }
  }

  // With a [provider], policies arrive at run time and may name any plugin component: those no
  // file policy named are created too, but one that cannot start with default parameters is
  // only logged — nothing in the file needs it.
  void unreferenced_for_provider() {
    for (ComponentCategory category :
         {ComponentCategory::classifier, ComponentCategory::backoff, ComponentCategory::trigger}) {
      for (const std::string& name : catalogue_.creatable_names(category)) {
        if (declared(category, name) || !attempted_.insert({category, name}).second) continue;
        const ConfigNode table;
        std::vector<ConfigError> failed;
        if (category == ComponentCategory::classifier)
          add(options_.classifiers, name, make<Classifier>(name, table, name, &failed), table);
        else if (category == ComponentCategory::backoff)
          add(options_.backoffs, name, make<BackoffStrategy>(name, table, name, &failed), table);
        else add(options_.triggers, name, make<HedgeTrigger>(name, table, name, &failed), table);
        for (const ConfigError& e : failed)
          runtime_.logger->log(LogLevel::warn, std::string(what(category)) + " \"" + name +
                                                   "\" is not available to provider policies: " + to_string(e));
      }
    }
  }

  // The [provider], or the file's own policies. Not created, it is still looked up. A feed
  // (a control plane) is not the executor's provider itself: each generation gets the
  // policies of one document — `offered`, else the one the running generation has, else the
  // feed's saved copy, else the file's own — plus the control plane's key.
  void provider(bool create, std::shared_ptr<const FeedDocument> offered) {
    if (config_.provider && !config_.provider->plugin.empty()) {  // empty: a partial reading
      const ComponentSpec& spec = *config_.provider;
      if (!catalogue_.creatable(spec.category, spec.plugin)) unknown_plugin(spec);
      else if (create) assembly_.provider = kept_or_made_provider(spec);
    }
    assembly_.feed = dynamic_cast<PolicyFeed*>(assembly_.provider.get());
    auto* keyed = dynamic_cast<KeyedPolicyFeed*>(assembly_.provider.get());
    if (assembly_.feed != nullptr && keyed != nullptr) {
      // Per key: the file's policies, each answered key's answer over them. The answers are
      // kept while the feed is, and across a reload that remade it for the same base_url (a
      // new timeout or token): the keys need not be fetched again, nor lose their last good
      // answers while the control plane is down.
      const bool kept = previous_ != nullptr && previous_->keyed_answers &&
                        (previous_->feed == assembly_.feed || same_per_key_source(*previous_));
      assembly_.keyed_answers = kept ? previous_->keyed_answers : std::make_shared<KeyedAnswers>();
      PolicyTable local = config_.policies;
      with_control_plane_policy(local, config_.policies);
      auto served = std::make_shared<KeyedFeedProvider>(std::move(local), assembly_.keyed_answers, *keyed);
      assembly_.keyed_provider = served;
      options_.provider = std::move(served);
    } else if (assembly_.feed != nullptr) {
      const bool kept = previous_ != nullptr && previous_->feed == assembly_.feed;
      assembly_.document = offered ? std::move(offered) : kept ? previous_->document : saved_document();
      PolicyTable policies = assembly_.document ? assembly_.document->policies : config_.policies;
      with_control_plane_policy(policies, config_.policies);
      options_.provider = std::make_shared<StaticPolicyProvider>(std::move(policies));
    } else if (assembly_.provider) {
      options_.provider = assembly_.provider;
    } else {
      options_.provider = std::make_shared<StaticPolicyProvider>(config_.policies);
    }
  }

 private:
  // The previous generation's per-key feed asked the same plugin at the same base_url.
  bool same_per_key_source(const Assembly& previous) const {
    if (!previous.config.provider || !config_.provider) return false;
    const ComponentSpec& before = *previous.config.provider;
    const ComponentSpec& now = *config_.provider;
    const auto base_url = [](const ComponentSpec& spec) -> const ConfigNode* {
      for (const ConfigField& field : spec.table.fields)
        if (field.name == "base_url") return &field.value;
      return nullptr;
    };
    const ConfigNode* a = base_url(before);
    const ConfigNode* b = base_url(now);
    return before.plugin == now.plugin && a != nullptr && b != nullptr && same_settings(*a, *b);
  }

  std::shared_ptr<PolicyProvider> kept_or_made_provider(const ComponentSpec& spec) {
    if (previous_ != nullptr && previous_->provider && previous_->config.provider) {
      const ComponentSpec& before = *previous_->config.provider;
      if (before.plugin == spec.plugin && same_settings(before.table, spec.table) &&
          same_library(previous_->components.find(spec.category, spec.plugin),
                       catalogue_.find(spec.category, spec.plugin)))
        return previous_->provider;
    }
    return make<PolicyProvider>(spec.plugin, spec.table, "provider");
  }

  // A new feed's saved copy of its last good document, if it reads; one that does not is
  // logged and skipped (the file's own policies serve until the feed brings one).
  std::shared_ptr<const FeedDocument> saved_document() const {
    const std::optional<PolicyDocument> saved = assembly_.feed->saved();
    if (!saved) return nullptr;
    PolicyDocument copy = *saved;
    copy.source = PolicySource::last_known_good;
    auto document = read_feed_document(copy);
    if (!document) {
      runtime_.logger->log(
          LogLevel::warn, "provider: the saved policy document is not usable, ignored: " + to_string(document.error()));
      return nullptr;
    }
    return std::move(*document);
  }

  template <class Interface>
  using Instances = std::vector<std::pair<std::string, std::shared_ptr<Interface>>>;
  const Instances<Budget>* previous_budgets() const { return previous_ ? &previous_->budgets : nullptr; }
  const Instances<Observer>* previous_observers() const { return previous_ ? &previous_->observers : nullptr; }

  // The running generation's instance of `spec` when the reload leaves it as it was — same
  // plugin, from the same library file, same settings — so an observer keeps its open file and
  // a budget its tokens; else a new one. A budget of the same plugin with other settings takes
  // over its predecessor's state (carry_from).
  template <class Interface>
  std::shared_ptr<Interface> kept_or_made(const ComponentSpec& spec, const Instances<Interface>* running) {
    const ComponentSpec* before = nullptr;
    std::shared_ptr<Interface> instance;
    if (running != nullptr) {
      const auto* specs =
          spec.category == ComponentCategory::budget ? &previous_->config.budgets : &previous_->config.components;
      for (const ComponentSpec& s : *specs)
        if (s.category == spec.category && s.name == spec.name) before = &s;
      for (const auto& [name, made] : *running)
        if (name == spec.name) instance = made;
    }
    const bool same_plugin = before != nullptr && instance && before->plugin == spec.plugin &&
                             same_library(previous_->components.find(spec.category, spec.plugin),
                                          catalogue_.find(spec.category, spec.plugin));
    if (same_plugin && same_settings(before->table, spec.table)) return instance;
    auto made = make<Interface>(spec.plugin, spec.table, spec.name);
    if constexpr (std::is_same_v<Interface, Budget>)
      if (made && same_plugin) made->carry_from(*instance);
    return made;
  }

  static bool same_library(const ComponentCatalogue::Entry* before, const ComponentCatalogue::Entry* after) {
    if (before == nullptr || after == nullptr || before->origin != after->origin) return false;
    if (before->plugin == nullptr || after->plugin == nullptr) return before->plugin == after->plugin;
    // The same file, declaring the same version with the same build fingerprint. (A file
    // rewritten in place under its path is still the loaded library: dlopen hands back the
    // loaded one while any generation holds it — docs/reload.md, Limits.)
    return before->plugin->file == after->plugin->file && before->plugin->version == after->plugin->version &&
           before->plugin->fingerprint == after->plugin->fingerprint;
  }

  // Creates a component; its errors go to `failed` when given, else to the config's errors.
  template <class Interface>
  std::shared_ptr<Interface> make(std::string_view plugin, const ConfigNode& table, std::string_view instance,
                                  std::vector<ConfigError>* failed = nullptr) {
    const ConfigView view(table);
    const ComponentContext context{view, runtime_.services, instance};
    auto made = catalogue_.create<Interface>(plugin, context);
    if (!made) {
      if (failed) *failed = std::move(made.error());
      else keep(std::move(made.error()));
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

  // A plugin component by its own name, with default parameters, for the reference that first
  // used it. The component reports against an empty table located at that field; a parameter
  // it needs is named with the way to give it.
  void create_default(const Reference& ref) {
    ConfigNode table;
    table.where = ref.where.line != 0 ? ref.where : config_.plugins.where;
    std::vector<ConfigError> failed;
    if (ref.category == ComponentCategory::classifier)
      add(options_.classifiers, ref.name, make<Classifier>(ref.name, table, ref.name, &failed), table);
    else if (ref.category == ComponentCategory::backoff)
      add(options_.backoffs, ref.name, make<BackoffStrategy>(ref.name, table, ref.name, &failed), table);
    else add(options_.triggers, ref.name, make<HedgeTrigger>(ref.name, table, ref.name, &failed), table);
    const std::string used_by =
        ref.where.line != 0 ? std::string() : "the built-in default " + ref.path + " is \"" + ref.name + "\": ";
    for (ConfigError& e : failed) {
      std::string message = std::move(e.message);
      if (!e.field_path.empty())
        message = std::string(what(ref.category)) + " \"" + ref.name +
                  "\" cannot run with default parameters: " + e.field_path + ": " + message +
                  "; configure an instance in [" + std::string(section(ref.category)) + ".<name>] with plugin = \"" +
                  ref.name + "\", and name that instance here";
      errors.errors.push_back(ConfigError{table.where, ref.where.line != 0 ? ref.path : "plugins", used_by + message});
    }
  }

  void unknown_plugin(const ComponentSpec& spec) {
    const std::vector<std::string> names = catalogue_.creatable_names(spec.category);
    errors.errors.push_back(
        ConfigView(spec.table)
            .error("plugin", unknown_name(std::string(to_string(spec.category)) + " plugin", spec.plugin,
                                          std::vector<std::string_view>(names.begin(), names.end()))));
  }

  // Declared in the file ([classifiers.x], [budgets.x], ...), whether or not it built.
  bool declared(ComponentCategory category, std::string_view name) const {
    if (category == ComponentCategory::budget)
      return std::ranges::find(config_.budgets, name, &ComponentSpec::name) != config_.budgets.end();
    return std::ranges::any_of(
        config_.components, [&](const ComponentSpec& spec) { return spec.category == category && spec.name == name; });
  }

  // The names a policy may use for `category`: declared instances (built or not), plugin
  // components and built-ins.
  std::vector<std::string> known(ComponentCategory category) const {
    std::vector<std::string> names;
    if (category == ComponentCategory::budget) {
      for (const ComponentSpec& spec : config_.budgets) names.push_back(spec.name);
      return names;
    }
    for (const ComponentSpec& spec : config_.components)
      if (spec.category == category) names.push_back(spec.name);
    for (std::string& name : catalogue_.names(category)) names.push_back(std::move(name));
    return names;
  }

  std::string unknown(std::string_view what, ComponentCategory category, std::string_view name) const {
    const std::vector<std::string> names = known(category);
    return unknown_name(what, name, std::vector<std::string_view>(names.begin(), names.end()));
  }

  std::vector<Reference> used_names() const {
    std::vector<Reference> refs;
    // `table` is the policy table's TOML path, so each error names the field as written.
    const auto from = [&](const PolicyPatch& patch, const std::string& table) {
      for (const PatchEntry& entry : patch.entries) {
        const auto* name = std::get_if<std::string>(&entry.value);
        if (name == nullptr || name->empty() || !names_a_component(entry.field->path)) continue;
        refs.push_back(
            {category_of(entry.field->path), *name, entry.where, table + "." + std::string(entry.field->path)});
      }
    };
    from(config_.policies.defaults, "defaults");
    for (const auto& [ns, patch] : config_.policies.namespaces) from(patch, "policies.\"" + ns + ".*\"");
    for (const auto& [key, patch] : config_.policies.exact) from(patch, "policies.\"" + key + "\"");
    const ExecutorSettings& executor = config_.executor;
    refs.push_back({ComponentCategory::classifier, executor.default_classifier, executor.default_classifier_where,
                    "executor.default_classifier"});
    const Policy builtin;
    refs.push_back({ComponentCategory::classifier, builtin.retry.classifier, {}, "retry.classifier"});
    refs.push_back({ComponentCategory::backoff, builtin.retry.backoff, {}, "retry.backoff"});
    // File order, so a name used twice is created — and its failure reported — at its first use;
    // the built-in defaults last.
    // (Not stable_sort: libstdc++ 12's get_temporary_buffer is deprecated under clang 19.)
    for (std::size_t i = 0; i < refs.size(); ++i) refs[i].order = i;
    std::ranges::sort(refs, std::less<>{}, [](const Reference& r) {
      return std::tuple(r.where.line == 0, r.where.line, r.where.column, r.order);
    });
    return refs;
  }

  const Config& config_;
  Assembly& assembly_;
  const Runtime& runtime_;
  const ComponentCatalogue& catalogue_;
  ExecutorOptions& options_;
  bool check_references_;
  const Assembly* previous_;
  std::set<std::pair<ComponentCategory, std::string>> attempted_;  // plugin defaults created (or tried)
};

}  // namespace

// The next generation's options from `config`, or every error: nothing is changed either way.
std::expected<ExecutorOptions, ConfigErrors> assemble(const Runtime& runtime, const Config& config,
                                                      const Assembly* previous,
                                                      std::shared_ptr<const FeedDocument> offered) {
  auto assembly = std::make_shared<Assembly>();
  assembly->config = config;
  if (config.plugins.present) assembly->plugins = PluginSet::load(config.plugins);
  assembly->components = runtime.host_components;
  assembly->components.add_plugins(assembly->plugins);
  const RuntimeOptions& options = runtime.options;
  if (options.log_deprecations)
    for (const ConfigError& deprecated : config.deprecations)
      runtime.logger->log(LogLevel::warn, to_string(deprecated));

  ExecutorOptions executor_options;
  Builder builder(assembly->config, *assembly, runtime, executor_options, options.check_references, previous);
  for (const PluginRefusal& r : assembly->plugins.refusals())
    builder.errors.errors.push_back(ConfigError{config.plugins.where, "plugins", r.file.string() + ": " + r.reason});
  builder.configured();
  builder.references();
  if (config.provider && options.create_observers_and_provider) builder.unreferenced_for_provider();
  builder.provider(options.create_observers_and_provider, std::move(offered));
  if (builder.errors.errors.empty() && options.create_observers_and_provider) builder.observers();
  if (!builder.errors.errors.empty()) return std::unexpected(std::move(builder.errors));

  for (const auto& observer : options.extra_observers) executor_options.observers.push_back(observer);
  executor_options.missing = config.executor.missing;
  executor_options.max_keys = config.executor.max_keys;
  executor_options.hedge_threads = config.executor.hedge_threads;
  executor_options.hedge_queue = config.executor.hedge_queue;
  executor_options.default_classifier = config.executor.default_classifier;
  executor_options.clock = runtime.clock;
  executor_options.random = runtime.random;
  executor_options.stats = runtime.stats;
  executor_options.logger = runtime.logger;  // keys past max_keys are never silent
  executor_options.resources = std::move(assembly);
  return executor_options;
}

const Assembly& assembly_of(const ExecutorOptions& options) {
  return *static_cast<const Assembly*>(options.resources.get());
}

}  // namespace recourse::host
