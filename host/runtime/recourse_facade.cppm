// recourse.runtime:facade — one process-wide runtime and free functions that call through it,
// so a call site needs nothing but its key: `recourse::run("payments.Charge", op)`.
//
// A service installs the runtime once at start-up, from a TOML file named in code or by the
// RECOURSE_CONFIG environment variable. Until something is installed the facade runs calls
// under the built-in policy and says so once through the logger: never a crash, never a silent
// no-op. Installing a second time is an error that names where the first install happened (the
// first stays in force; decision 0008). Tests swap in a runtime of their own (a virtual clock,
// say) with ScopedDefaultRuntime, which puts the previous one back.
//
// A facade call is an Executor call plus one atomic load of the executor it runs on, so it
// takes the same fast path (bench/facade_benchmark.cpp). Reloads of the installed runtime —
// reload(), apply(), watch(), InstallOptions::watch — are seen by the next facade call.
//
// Libraries that must not touch process-wide state take an Executor& (or a Runtime) from their
// caller instead; docs/facade.md says when to use which.
module;
#include <atomic>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

export module recourse.runtime:facade;

import recourse.core;
import :api;

export namespace recourse {

// The environment variable install() reads when the code names no file.
inline constexpr std::string_view config_environment_variable = "RECOURSE_CONFIG";

struct InstallOptions {
  RuntimeOptions runtime;
  // Follow the config file for the life of the process (Runtime::watch), the facade keeping
  // the watch. A watch that cannot start (inotify unavailable) fails the install.
  bool watch = false;
  WatchOptions watch_options;
};

// Where an install happened: copied from its std::source_location, so it stays readable even
// if the code that installed is unloaded.
struct InstallSite {
  std::string file;
  std::uint_least32_t line = 0;
  std::string function;
  std::string to_string() const;  // "src/main.cpp:41 (int main())"
};

struct InstallError {
  enum class Reason {
    already_installed,  // a runtime was installed before; `first_install` says where
    no_config,          // install() without a file, and RECOURSE_CONFIG unset or empty
    load_failed,        // the config or one of its plugins failed: `errors`
    watch_failed,       // InstallOptions::watch, and the watch could not start: `detail`
  };
  Reason reason = Reason::load_failed;
  std::vector<ConfigError> errors;           // load_failed: every error, located
  std::optional<InstallSite> first_install;  // already_installed
  std::string first_file;                    // already_installed: the config it was loaded from
  std::string detail;
  std::string message() const;  // one line per problem, naming file:line
};

// Loads `file` (Runtime::load) and makes it the process-wide runtime; `where` is recorded so a
// second install can name it. Nothing is installed when it fails.
[[nodiscard]] std::expected<void, InstallError> install(const std::filesystem::path& file, InstallOptions options = {},
                                                        std::source_location where = std::source_location::current());
// The same with the file RECOURSE_CONFIG names.
[[nodiscard]] std::expected<void, InstallError> install(InstallOptions options = {},
                                                        std::source_location where = std::source_location::current());
// Installs a runtime built by the caller (Runtime::from_text, its own options).
[[nodiscard]] std::expected<void, InstallError> install(Runtime runtime,
                                                        std::source_location where = std::source_location::current());

// The runtime facade calls run on: a test's swap, else the installed one; null while the
// built-in policy is in force. Installed runtimes live until the process exits (a thread still
// calling during exit must find them), so the pointer stays valid; a swapped one, as long as
// its ScopedDefaultRuntime.
Runtime* default_runtime();
// Where the installed runtime was installed (nullopt when none is; a swap does not change it).
std::optional<InstallSite> installed_at();

// For tests: makes `runtime` the one facade calls run on, until destroyed; then what was in
// force is back (the innermost other guard's runtime, the installed one, or the built-in
// policy). Guards nest, and may end in any order. The guard destroys its runtime, so every
// thread that calls through the facade must have finished its calls (joined) before the guard
// ends, as for destroying any Runtime.
class ScopedDefaultRuntime {
 public:
  explicit ScopedDefaultRuntime(Runtime runtime);
  ~ScopedDefaultRuntime();
  ScopedDefaultRuntime(const ScopedDefaultRuntime&) = delete;
  ScopedDefaultRuntime& operator=(const ScopedDefaultRuntime&) = delete;

  Runtime& runtime() noexcept { return *runtime_; }

 private:
  std::unique_ptr<Runtime> runtime_;
};

}  // namespace recourse

namespace recourse::facade_detail {

// The executor facade calls run on; null until the first call or install. Written under the
// facade's lock; read by every call. Acquire, because the executor was built on another thread
// (on x86-64 the same plain load as a relaxed one).
extern std::atomic<Executor*> current_executor;

// The first facade call before any install: builds the built-in executor and says so once,
// naming the key (empty: default_executor()).
Executor& executor_without_runtime(std::string_view key);
Executor& executor_without_runtime(KeyHandle key);

template <class KeyArg>
inline Executor& executor(KeyArg key) {
  Executor* executor = current_executor.load(std::memory_order_acquire);
  if (executor == nullptr) [[unlikely]]
    return executor_without_runtime(key);
  return *executor;
}

}  // namespace recourse::facade_detail

export namespace recourse {

// The executor facade calls run on now (the built-in policy's when nothing is installed). Take
// it per call (or after the install, for as long as nothing swaps it): a reference kept from
// before the install stays on the built-in policy.
inline Executor& default_executor() { return facade_detail::executor(std::string_view{}); }

// Executor::try_run and run on the process-wide runtime: same semantics, same fast path.
template <class Op>
[[nodiscard]] inline std::expected<ResultOf<Op>, Failure> try_run(std::string_view key, Op&& op,
                                                                  const CallOptions& options = {}) {
  return facade_detail::executor(key).try_run(key, op, options);
}

template <class Op>
[[nodiscard]] inline std::expected<ResultOf<Op>, Failure> try_run(KeyHandle key, Op&& op,
                                                                  const CallOptions& options = {}) {
  return facade_detail::executor(key).try_run(key, op, options);
}

template <class Op>
inline ResultOf<Op> run(std::string_view key, Op&& op, const CallOptions& options = {}) {
  return facade_detail::executor(key).run(key, op, options);
}

template <class Op>
inline ResultOf<Op> run(KeyHandle key, Op&& op, const CallOptions& options = {}) {
  return facade_detail::executor(key).run(key, op, options);
}

}  // namespace recourse
