// The process-wide runtime behind recourse::run (see recourse_facade.cppm): what is installed,
// what tests swapped in, and the built-in executor for calls before either. The state changes
// under one lock, which is never held while a runtime loads or anything logs (a plugin, an
// observer or a logger may call the facade); calls read only `current_executor`.
module;
#include <atomic>
#include <cstdlib>
#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module recourse.runtime;

import recourse.host.runtime;  // make_spdlog_logger

namespace recourse::facade_detail {

constinit std::atomic<Executor*> current_executor{nullptr};

}  // namespace recourse::facade_detail

namespace recourse {
namespace {

// Never destroyed, nor is any runtime it points at: a thread still calling through the facade
// while the process exits (or a static destructor that calls) must find them in one piece.
struct FacadeState {
  std::mutex mutex;
  Runtime* installed = nullptr;
  InstallSite installed_where;
  std::optional<ConfigWatch> watch;  // InstallOptions::watch, for the installed runtime
  std::vector<Runtime*> swaps;       // ScopedDefaultRuntime, in the order they began
  Executor* builtin = nullptr;       // made by the first call before any install
};

FacadeState& state() {
  static FacadeState* const facade = new FacadeState;
  return *facade;
}

// Under the lock: points facade calls at what is in force now.
void publish(const FacadeState& facade) {
  Executor* executor = !facade.swaps.empty() ? &facade.swaps.back()->executor()
                       : facade.installed    ? &facade.installed->executor()
                                             : facade.builtin;
  facade_detail::current_executor.store(executor, std::memory_order_release);
}

InstallSite site_of(const std::source_location& where) {
  return InstallSite{where.file_name(), where.line(), where.function_name()};
}

// Under the lock.
InstallError already_installed(const FacadeState& facade) {
  return InstallError{.reason = InstallError::Reason::already_installed,
                      .first_install = facade.installed_where,
                      .first_file = facade.installed->config_file().string()};
}

// What an install tells its runtime's logger, after the lock is released.
struct Outcome {
  std::expected<void, InstallError> result;
  Runtime* logged_by = nullptr;
  LogLevel level = LogLevel::info;
  std::string message;
};

std::expected<void, InstallError> finish(Outcome outcome) {
  if (outcome.logged_by != nullptr) outcome.logged_by->logger().log(outcome.level, outcome.message);
  return std::move(outcome.result);
}

Outcome refused_as_already_installed(const FacadeState& facade) {
  InstallError error = already_installed(facade);
  std::string message = error.message();
  return {std::unexpected(std::move(error)), facade.installed, LogLevel::warn, std::move(message)};
}

// Makes `runtime` (loaded without the lock) the installed one, unless another install won the
// race meanwhile; with its watch, started before the lock is taken. A runtime that is not
// installed is destroyed by the caller, after its watch and without the lock (no call ever ran
// on it).
Outcome adopt(std::unique_ptr<Runtime>& runtime, const InstallOptions* options, const std::source_location& where) {
  std::optional<ConfigWatch> watch;
  if (options != nullptr && options->watch) {
    auto started = runtime->watch(options->watch_options);
    if (!started)
      return {std::unexpected(InstallError{.reason = InstallError::Reason::watch_failed,
                                           .first_file = runtime->config_file().string(),
                                           .detail = std::move(started.error())})};
    watch.emplace(std::move(*started));
  }
  FacadeState& facade = state();
  const std::lock_guard lock(facade.mutex);
  if (facade.installed != nullptr) return refused_as_already_installed(facade);
  facade.watch = std::move(watch);
  facade.installed = runtime.release();
  facade.installed_where = site_of(where);
  publish(facade);
  const std::string file = facade.installed->config_file().string();
  return {{},
          facade.installed,
          LogLevel::info,
          "recourse: the process-wide runtime is installed" + (file.empty() ? std::string() : " from " + file) +
              ", at " + facade.installed_where.to_string()};
}

// An install refused before anything is loaded, when one is in force already.
std::optional<Outcome> refused_early() {
  FacadeState& facade = state();
  const std::lock_guard lock(facade.mutex);
  if (facade.installed == nullptr) return std::nullopt;
  return refused_as_already_installed(facade);
}

std::expected<void, InstallError> load_and_adopt(const std::filesystem::path& file, InstallOptions options,
                                                 const std::source_location& where) {
  if (auto refused = refused_early()) return finish(std::move(*refused));
  auto loaded = Runtime::load(file, options.runtime);
  if (!loaded)
    return std::unexpected(
        InstallError{.reason = InstallError::Reason::load_failed, .errors = std::move(loaded.error().errors)});
  auto runtime = std::make_unique<Runtime>(std::move(*loaded));
  return finish(adopt(runtime, &options, where));
}

}  // namespace

std::string InstallSite::to_string() const { return file + ":" + std::to_string(line) + " (" + function + ")"; }

std::string InstallError::message() const {
  switch (reason) {
    case Reason::already_installed:
      return "recourse::install: a runtime is already installed" +
             (first_file.empty() ? std::string() : " from " + first_file) +
             (first_install ? " at " + first_install->to_string() : std::string()) +
             "; the first stays in force (install once, at start-up)";
    case Reason::no_config:
      return "recourse::install: " + std::string(config_environment_variable) +
             " is not set and no config file was given (recourse::install(\"recourse.toml\"))";
    case Reason::load_failed: return LoadError{errors}.message();
    case Reason::watch_failed: return "recourse::install: cannot watch " + first_file + ": " + detail;
  }
  return detail;
}

std::expected<void, InstallError> install(const std::filesystem::path& file, InstallOptions options,
                                          std::source_location where) {
  return load_and_adopt(file, std::move(options), where);
}

std::expected<void, InstallError> install(InstallOptions options, std::source_location where) {
  if (auto refused = refused_early()) return finish(std::move(*refused));
  const char* file = std::getenv(std::string(config_environment_variable).c_str());
  if (file == nullptr || *file == '\0') return std::unexpected(InstallError{.reason = InstallError::Reason::no_config});
  return load_and_adopt(file, std::move(options), where);
}

std::expected<void, InstallError> install(Runtime runtime, std::source_location where) {
  auto owned = std::make_unique<Runtime>(std::move(runtime));
  return finish(adopt(owned, nullptr, where));
}

Runtime* default_runtime() {
  FacadeState& facade = state();
  const std::lock_guard lock(facade.mutex);
  return !facade.swaps.empty() ? facade.swaps.back() : facade.installed;
}

std::optional<InstallSite> installed_at() {
  FacadeState& facade = state();
  const std::lock_guard lock(facade.mutex);
  if (facade.installed == nullptr) return std::nullopt;
  return facade.installed_where;
}

ScopedDefaultRuntime::ScopedDefaultRuntime(Runtime runtime) : runtime_(std::make_unique<Runtime>(std::move(runtime))) {
  FacadeState& facade = state();
  const std::lock_guard lock(facade.mutex);
  facade.swaps.push_back(runtime_.get());
  publish(facade);
}

ScopedDefaultRuntime::~ScopedDefaultRuntime() {
  FacadeState& facade = state();
  const std::lock_guard lock(facade.mutex);
  std::erase(facade.swaps, runtime_.get());
  publish(facade);
}

namespace facade_detail {

Executor& executor_without_runtime(std::string_view key) {
  // The built-in executor: the core's built-in policy for every key (no layers, and a missing
  // policy falls back to it), the system clock. Nothing in it loads or can fail; made once.
  static const std::shared_ptr<Logger> logger = host::make_spdlog_logger("recourse");
  static Executor* const builtin = [] {
    ExecutorOptions options;
    options.missing.policy = MissingMode::fallback;
    options.logger = logger;
    return new Executor(std::move(options));
  }();
  FacadeState& facade = state();
  Executor* executor = nullptr;
  bool first = false;
  {
    const std::lock_guard lock(facade.mutex);
    // Someone installed (or swapped) while this call waited.
    executor = current_executor.load(std::memory_order_relaxed);
    if (executor == nullptr) {
      first = facade.builtin == nullptr;
      facade.builtin = builtin;
      publish(facade);
      executor = builtin;
    }
  }
  if (first)
    logger->log(LogLevel::warn, "recourse: " +
                                    (key.empty() ? std::string("recourse::default_executor()")
                                                 : "a call of \"" + std::string(key) + "\"") +
                                    " before recourse::install: facade calls run under the built-in policy until a "
                                    "runtime is installed (recourse::install(\"recourse.toml\") or " +
                                    std::string(config_environment_variable) + "=<file>)");
  return *executor;
}

Executor& executor_without_runtime(KeyHandle key) { return executor_without_runtime(key.key().str()); }

}  // namespace facade_detail

}  // namespace recourse
