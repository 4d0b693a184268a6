// recourse.runtime:api — a config file and the plugins it names as a running Executor that takes
// the next config while calls run (Runtime: load, reload, apply, watch). The module's overview
// is in recourse_runtime.cppm.
module;
#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

export module recourse.runtime:api;

import recourse.core;

export namespace recourse {

struct RuntimeOptions {
  // TOML assignments laid over the file, in order, every time it is read (at load and at each
  // reload): `executor.max_keys = 5000`, `policies."payments.*".retry.max_attempts = 2`. A
  // value replaces the file's; a table merges key by key. Errors name "override N".
  std::vector<std::string> overrides;
  std::shared_ptr<Clock> clock;          // null: the system clock
  std::shared_ptr<RandomSource> random;  // null: seeded from the steady clock
  std::shared_ptr<Logger> logger;        // null: spdlog, logger "recourse"
  // Observers made in code, beside the config's [observers.x]; every generation has them.
  std::vector<std::shared_ptr<Observer>> observers;
};

// Why a config could not be loaded: every error of the file at once, each located
// (file:line:col, field path), as `recourse validate` reports them.
struct LoadError {
  std::vector<ConfigError> errors;
  std::string message() const;  // one line per error
};

// What a reload did. Refused: nothing changed and the running generation stays
// (last-known-good); `errors` says why.
struct ReloadResult {
  bool accepted = false;
  std::uint64_t generation = 0;             // running after it
  std::vector<std::string> changes;         // what the new generation changed, a line each
  std::vector<ConfigError> errors;          // every reason it was refused, located
  std::vector<std::string> breakers_reset;  // keys whose breaker starts fresh
};

struct WatchOptions {
  // A reload runs once the file's directory has been quiet this long: an editor's save or a
  // Kubernetes ConfigMap update is several events, and a half-written file is never read.
  std::chrono::milliseconds debounce{200};
  // Every reload's result, on the watch's own thread, accepted or refused.
  std::function<void(const ReloadResult&)> on_result;
};

// A running watch of the config file; destroying it stops the watch (and joins its thread).
class ConfigWatch {
 public:
  ConfigWatch(ConfigWatch&&) noexcept;
  ConfigWatch& operator=(ConfigWatch&&) noexcept;
  ~ConfigWatch();

 private:
  friend class Runtime;
  struct Impl;
  explicit ConfigWatch(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

// A plugin library the running config loaded.
struct LoadedPlugin {
  std::string name;
  std::string version;
  std::filesystem::path file;
  std::string fingerprint;  // compiler, C++ standard, standard library and recourse it was built with
  std::vector<std::pair<ComponentCategory, std::string>> components;
};

class Runtime {
 public:
  // Reads `file`, loads the plugins its [plugins] section names, creates every component it
  // configures and builds the executor. All of it succeeds, or nothing is running and the
  // error lists every problem.
  static std::expected<Runtime, LoadError> load(const std::filesystem::path& file, RuntimeOptions options = {});
  // The same from TOML text (`label` names it in errors; relative plugin paths are resolved
  // against the working directory). reload() and watch() need a file and refuse.
  static std::expected<Runtime, LoadError> from_text(std::string_view toml_text, std::string label,
                                                     RuntimeOptions options = {});

  Runtime(Runtime&&) noexcept;
  Runtime& operator=(Runtime&&) noexcept;
  // Destroys the executor: no call may still be running on it (as for an Executor). A watch
  // must be destroyed first.
  ~Runtime();

  // Valid as long as this Runtime: reloads change what it runs, never the object.
  Executor& executor() const noexcept;
  std::uint64_t generation() const noexcept;  // 1 for the first config, +1 per accepted reload

  // Re-reads the file (with the overrides), builds the next generation in full and swaps it in:
  // calls that started before finish on their generation, later calls see the new one. Any
  // error — syntax, schema, a plugin that fails its checks, a component that refuses its
  // table — leaves the running generation as it was. Observers hear either way (on_config).
  ReloadResult reload();
  // The same with a whole new document.
  ReloadResult apply(std::string_view toml_text, std::string label);
  // Follows the file with inotify: writes in place, an editor's write-to-temp and rename, and
  // a ConfigMap's `..data` symlink swap, debounced; reloads when its bytes change. This
  // Runtime must outlive the watch.
  std::expected<ConfigWatch, std::string> watch(WatchOptions options = {});

  // The running generation: the file it was read from (empty for from_text), its plugins, and
  // its named budgets and observers (null when the config has no such name). A component
  // returned keeps its generation's plugin libraries loaded while it is held.
  std::filesystem::path config_file() const;
  std::vector<LoadedPlugin> plugins() const;
  std::shared_ptr<Budget> budget(std::string_view name) const;
  std::shared_ptr<Observer> observer(std::string_view name) const;
  // What this runtime's components and reloads log through (RuntimeOptions::logger, or spdlog's
  // "recourse" logger on standard error).
  Logger& logger() const noexcept;

 private:
  struct Impl;
  explicit Runtime(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace recourse
