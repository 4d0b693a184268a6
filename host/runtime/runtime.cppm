// recourse.host.runtime — from a loaded Config to a working Executor: loads the [plugins],
// creates the components the config uses (its [classifiers.x], [backoffs.x], [triggers.x],
// [budgets.x], [observers.x] and [provider] tables, and the plugin components its policies
// and [executor] name) through their factories, which validate their own tables, and
// assembles the executor. A plugin component nothing names is not created. Every problem is a
// ConfigError at the line that caused it, all of them at once, each reported once.
module;
#include "recourse/mutex.h"

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

export module recourse.host.runtime;

export import recourse.core;
export import recourse.host.config;
export import recourse.host.plugins;
export import :catalogue;
export import :changes;
import :keyed_policies;

export namespace recourse::host {

// The host's logger for plugins: spdlog, one named logger per runtime.
std::shared_ptr<Logger> make_spdlog_logger(std::string name);

// A policy document a feed brought (or its saved copy), as the host read it.
struct FeedDocument {
  PolicyTable policies;  // source remote, or last_known_good for the saved copy
  std::string label;
  std::string version;
};

// How observers hear a feed's document refused (a parse, schema or reference error in it): each
// located error after this, so every feed's refusals read alike in events and metrics.
inline constexpr std::string_view document_refused = "provider_error invalid_document: ";

// One accepted config made real: the plugins it loaded and the components created from them.
// The executor generation built from it holds it (ExecutorOptions::resources), so a plugin
// library stays loaded while a call of that generation runs, and is unloaded with it.
struct Assembly {
  // Pinned: `components` points at `plugins`.
  Assembly() = default;
  Assembly(const Assembly&) = delete;
  Assembly& operator=(const Assembly&) = delete;

  Config config;
  PluginSet plugins;
  ComponentCatalogue components;  // what the config could name: built-ins, host extras, plugins
  // The [budgets.x] and [observers.x] instances as built (also inside the executor): tools
  // chart budget levels, and a reload keeps an instance whose settings did not change.
  std::vector<std::pair<std::string, std::shared_ptr<Budget>>> budgets;
  std::vector<std::pair<std::string, std::shared_ptr<Observer>>> observers;
  // The [provider] instance as built; a reload that leaves its table as it was keeps it, so a
  // feed goes on following its source.
  std::shared_ptr<PolicyProvider> provider;
  PolicyFeed* feed = nullptr;  // `provider`, when it is a PolicyFeed (a control plane)
  // The feed's document this generation runs (null: none has come, and no saved copy was good;
  // the file's own policies serve until one does).
  std::shared_ptr<const FeedDocument> document;
  // A per-key feed (KeyedPolicyFeed): the answers it gave, kept while the feed is, and this
  // generation's provider, which serves them (the executor's provider).
  std::shared_ptr<KeyedAnswers> keyed_answers;
  std::shared_ptr<KeyedFeedProvider> keyed_provider;
};

// What Runtime::apply or reload did. Refused, nothing changed: the running generation stays.
struct ReloadResult {
  bool accepted = false;
  std::uint64_t generation = 0;       // running after it
  std::vector<std::string> changes;   // what the new generation changed, a line each
  ConfigErrors errors;                // every reason it was refused, located
  std::vector<std::string> breakers_reset;  // keys whose breaker starts fresh
};

struct RuntimeOptions {
  std::shared_ptr<Clock> clock;          // null: SystemClock
  std::shared_ptr<RandomSource> random;  // null: SplitMixRandom
  std::shared_ptr<Logger> logger;        // null: spdlog
  std::vector<std::shared_ptr<Observer>> extra_observers;  // added after the configured ones
  // Host components beside the built-ins (`recourse test` adds its `script` budget); the
  // runtime adds the loaded plugins' components to a copy. Null: the built-ins alone.
  const ComponentCatalogue* components = nullptr;
  // A policy naming a classifier, backoff or budget nobody provides is a config error listing
  // the known names. `recourse test` turns this off: its scenarios exercise the executor's
  // missing-component modes on purpose.
  bool check_references = true;
  // False: [observers.x] and the [provider] are only looked up (does a loaded plugin provide
  // the component?), not created — `recourse validate`, since creating an observer opens its
  // output file (and the trace observer truncates it). The runtime is then only for checking.
  bool create_observers_and_provider = true;
  // Config::deprecations are logged (warn) when the runtime is built; false for callers that
  // report them themselves, or build many runtimes from one config (the simulator).
  bool log_deprecations = true;
  // TOML assignments laid over every document apply() and reload() read (read_config_text);
  // build_runtime takes a Config already read with them.
  std::vector<std::string> overrides;
};

// How Runtime::watch follows its file.
struct WatchOptions {
  // A reload runs once the file's directory has been quiet this long: an editor's save or a
  // ConfigMap update is several events, and a half-written file is never applied.
  std::chrono::milliseconds debounce{200};
  // Every reload's result, on the watcher's thread (accepted or refused).
  std::function<void(const ReloadResult&)> on_result;
};

// A running watch: it stops when this is destroyed (or moved from and then destroyed).
class ConfigWatch {
 public:
  struct State;
  explicit ConfigWatch(std::unique_ptr<State> state) noexcept;
  ConfigWatch(ConfigWatch&&) noexcept;
  ConfigWatch& operator=(ConfigWatch&&) noexcept;
  ~ConfigWatch();

 private:
  std::unique_ptr<State> state_;
};

// A config made real, and able to take the next one. Members are ordered so the executor goes
// first (and with it every generation, each with its Assembly) and the services the plugins'
// objects use (clock, random source, logger) go last.
struct Runtime {
  // Pinned: `services` points at the members above it. Out of line: FeedHost is complete there.
  Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Builds the next generation from `config` — plugins loaded, every component created and
  // checked — and only if all of it succeeded makes it the executor's (Executor::replace).
  // Any error leaves the running generation as it was; observers hear either way (on_config).
  // Components whose settings did not change are kept (an observer's open file, a budget's
  // tokens); a budget whose settings changed takes over its predecessor's state
  // (Budget::carry_from). Thread-safe; calls run throughout.
  ReloadResult apply(const Config& config);
  // The same from TOML text; `file_label` names it in errors.
  ReloadResult apply(std::string_view toml_text, std::string file_label);
  // Re-reads the file the running config came from; one built from text has none to re-read,
  // and the result says so (nothing changes, observers hear nothing).
  ReloadResult reload();
  // Follows that file: inotify on its directory, so a write in place, an editor's write to a
  // temporary file and rename, and a Kubernetes ConfigMap update (the `..data` symlink swapped)
  // are all seen; after `debounce` of quiet the file is read, and reloaded when its bytes
  // differ from the last ones read. Fails when the config came from text or inotify is not
  // available. The runtime must outlive the watch.
  std::expected<ConfigWatch, std::string> watch(WatchOptions options = {});

  std::shared_ptr<Clock> clock;
  std::shared_ptr<RandomSource> random;
  std::shared_ptr<Logger> logger;
  ConfigPolicyFiles policy_files;  // for providers that keep policies in files
  // The executor's counters, handed to the components too (an exporter publishes them).
  std::shared_ptr<ExecutorStats> stats = std::make_shared<ExecutorStats>();
  // What exporters see of the running feed (PluginContext::feeds): declared before `executor`,
  // whose generations' observers may ask it until they are gone.
  std::unique_ptr<FeedStatusSource> feed_status;
  PluginContext services;
  RuntimeOptions options;  // what every generation is built with (its observers, its extras)
  ComponentCatalogue host_components;  // built-ins and the host's extras, without plugins

  // The running generation's assembly: its config, plugins, budgets and observers as built.
  // Held by the caller, it stays valid across reloads (it is what that generation ran with).
  std::shared_ptr<const Assembly> running() const;
  // The running generation's feed and its status, read under the lock that guards the running
  // assembly (no reference to it is kept: a scrape must never be what ends a generation).
  std::optional<RunningFeed> running_feed() const;

  // A document from the running generation's feed: read with the strict loader (policies
  // only) and made the next generation, with the file as it was; refused, nothing changes and
  // observers hear why. A document from a feed a reload has replaced is refused.
  ReloadResult offer(const PolicyFeed& from, const PolicyDocument& document);
  // A per-key feed's answer for one key: read with the strict loader and kept; a new
  // generation is made when the running one already answered the key otherwise. Refused (a
  // bad body, the control plane's own key, a feed a reload replaced), the key keeps what it had.
  ReloadResult offer_key(const PolicyFeed& from, const KeyPolicy& policy);
  // Starts the running generation's feed if it is not the one started last, stopping that one
  // (not under any lock: a feed's thread may be offering). build_runtime and every accepted
  // apply call it; the destructor stops the last.
  void switch_feeds();
  ~Runtime();

 private:
  friend std::expected<std::unique_ptr<Runtime>, ConfigErrors> build_runtime(const Config&, RuntimeOptions);
  mutable detail::Mutex assembly_mutex_;
  std::shared_ptr<const Assembly> assembly_;  // written by apply(), under assembly_mutex_

 public:
  std::unique_ptr<Executor> executor;

 private:
  // A config that could not be read or built: observers hear every error, each line after
  // `event_prefix` (a feed's document: "provider_error invalid_document: ").
  ReloadResult refused(ConfigErrors errors, std::string_view event_prefix = {});
  ReloadResult apply_locked(const Config& config, std::shared_ptr<const FeedDocument> offered)
      RECOURSE_REQUIRES(applying_);
  detail::Mutex applying_;  // one reload at a time
  class FeedHost;
  std::unique_ptr<FeedHost> feed_host_;
  std::mutex switching_;             // one switch_feeds() at a time
  PolicyFeed* started_feed_ = nullptr;  // under switching_
  // started_feed_'s owner, held until the feed is stopped: its generation may be reclaimed
  // first, on whichever thread ends the last call in it. Under switching_.
  std::shared_ptr<PolicyProvider> started_provider_;
};

std::expected<std::unique_ptr<Runtime>, ConfigErrors> build_runtime(const Config& config, RuntimeOptions options = {});

}  // namespace recourse::host

// The runtime's own, between its units.
namespace recourse::host {

// The next generation's options from `config` (assembly_builder.cpp), or every error: nothing
// is changed either way. `previous`: the running generation's assembly, whose unchanged
// components are kept; `offered`: a feed's document to take the policies from.
std::expected<ExecutorOptions, ConfigErrors> assemble(const Runtime& runtime, const Config& config,
                                                      const Assembly* previous,
                                                      std::shared_ptr<const FeedDocument> offered = nullptr);
// The Assembly an ExecutorOptions made by assemble() holds.
const Assembly& assembly_of(const ExecutorOptions& options);

// A feed's document read with the strict loader (policies only), marked with its source.
std::expected<std::shared_ptr<const FeedDocument>, ConfigErrors> read_feed_document(const PolicyDocument& document);

// Sets the control plane key's entry in `policies` (a feed generation's): the built-in control
// plane policy with `local`'s entry for that key laid over it, every field named.
void with_control_plane_policy(PolicyTable& policies, const PolicyTable& local);

}  // namespace recourse::host
