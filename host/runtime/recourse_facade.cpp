// The process-wide runtime behind recourse::run (see recourse_facade.cppm): what is installed,
// what tests swapped in, and the built-in runtime for calls before either. All of it changes
// under one lock; calls read only `current_executor`.
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
  std::source_location installed_where;
  std::optional<ConfigWatch> watch;  // InstallOptions::watch, for the installed runtime
  Runtime* builtin = nullptr;        // built by the first call before any install
  std::vector<Runtime*> swaps;       // ScopedDefaultRuntime, innermost last
};

FacadeState& state() {
  static FacadeState* const facade = new FacadeState;
  return *facade;
}

// Under the lock: points facade calls at what is in force now.
void publish(const FacadeState& facade) {
  const Runtime* runtime = !facade.swaps.empty() ? facade.swaps.back()
                           : facade.installed    ? facade.installed
                                                 : facade.builtin;
  facade_detail::current_executor.store(runtime != nullptr ? &runtime->executor() : nullptr, std::memory_order_release);
}

std::string describe(const std::source_location& where) {
  return std::string(where.file_name()) + ":" + std::to_string(where.line()) + " (" + where.function_name() + ")";
}

InstallError already_installed(const FacadeState& facade) {
  InstallError error{.reason = InstallError::Reason::already_installed,
                     .first_install = facade.installed_where,
                     .first_file = facade.installed->config_file().string()};
  facade.installed->logger().log(LogLevel::warn, error.message());
  return error;
}

// Under the lock: makes `runtime` the installed one (with its watch, when asked for).
std::expected<void, InstallError> adopt(FacadeState& facade, Runtime runtime, const InstallOptions* options,
                                        const std::source_location& where) {
  auto installed = std::make_unique<Runtime>(std::move(runtime));
  if (options != nullptr && options->watch) {
    auto watch = installed->watch(options->watch_options);
    if (!watch)
      return std::unexpected(InstallError{.reason = InstallError::Reason::watch_failed,
                                          .first_file = installed->config_file().string(),
                                          .detail = std::move(watch.error())});
    facade.watch.emplace(std::move(*watch));
  }
  facade.installed = installed.release();
  facade.installed_where = where;
  publish(facade);
  const std::string file = facade.installed->config_file().string();
  facade.installed->logger().log(LogLevel::info, "recourse: the process-wide runtime is installed" +
                                                     (file.empty() ? std::string() : " from " + file) + ", at " +
                                                     describe(where));
  return {};
}

std::expected<void, InstallError> load_and_adopt(const std::filesystem::path& file, InstallOptions options,
                                                 const std::source_location& where) {
  FacadeState& facade = state();
  const std::lock_guard lock(facade.mutex);
  if (facade.installed != nullptr) return std::unexpected(already_installed(facade));
  auto runtime = Runtime::load(file, options.runtime);
  if (!runtime)
    return std::unexpected(
        InstallError{.reason = InstallError::Reason::load_failed, .errors = std::move(runtime.error().errors)});
  return adopt(facade, std::move(*runtime), &options, where);
}

}  // namespace

std::string InstallError::message() const {
  switch (reason) {
    case Reason::already_installed:
      return "recourse::install: a runtime is already installed" +
             (first_file.empty() ? std::string() : " from " + first_file) +
             (first_install ? " at " + describe(*first_install) : std::string()) +
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
  const char* file = std::getenv(std::string(config_environment_variable).c_str());
  if (file == nullptr || *file == '\0') {
    FacadeState& facade = state();
    const std::lock_guard lock(facade.mutex);
    if (facade.installed != nullptr) return std::unexpected(already_installed(facade));
    return std::unexpected(InstallError{.reason = InstallError::Reason::no_config});
  }
  return load_and_adopt(file, std::move(options), where);
}

std::expected<void, InstallError> install(Runtime runtime, std::source_location where) {
  FacadeState& facade = state();
  const std::lock_guard lock(facade.mutex);
  if (facade.installed != nullptr) return std::unexpected(already_installed(facade));
  return adopt(facade, std::move(runtime), nullptr, where);
}

Runtime* default_runtime() noexcept {
  FacadeState& facade = state();
  const std::lock_guard lock(facade.mutex);
  return !facade.swaps.empty() ? facade.swaps.back() : facade.installed;
}

std::optional<std::source_location> installed_at() noexcept {
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
  FacadeState& facade = state();
  const std::lock_guard lock(facade.mutex);
  // Someone installed (or swapped) while this call waited for the lock.
  if (Executor* executor = current_executor.load(std::memory_order_relaxed)) return *executor;
  // Every key under the built-in policy: no layer matches, and a missing policy falls back to it
  // (an installed config's default is to deny such a key; this runtime has no config to deny for).
  auto builtin = Runtime::from_text("[executor]\nmissing_policy = \"fallback\"\n", "the built-in policy");
  // This document has nothing that can fail; if it ever did, a call has no better option.
  if (!builtin) std::abort();
  facade.builtin = new Runtime(std::move(*builtin));
  publish(facade);
  const std::string what = key.empty() ? "recourse::default_executor()" : "a call of \"" + std::string(key) + "\"";
  facade.builtin->logger().log(LogLevel::warn,
                               "recourse: " + what +
                                   " before recourse::install: facade calls run under the built-in policy until a "
                                   "runtime is installed (recourse::install(\"recourse.toml\") or " +
                                   std::string(config_environment_variable) + "=<file>)");
  return facade.builtin->executor();
}

Executor& executor_without_runtime(KeyHandle key) { return executor_without_runtime(key.key().str()); }

}  // namespace facade_detail

}  // namespace recourse
