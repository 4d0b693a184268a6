// recourse.executor — runs an operation under its key's policy: attempts, classification,
// budgets, backoff with jitter, timeouts and cancellation, and a timeline and observer events
// that explain the call afterwards.
//
//   recourse::Executor executor(std::move(options));
//   std::string body = executor.run("catalog.GetItem", [&](const recourse::Attempt& a) {
//     return fetch(item, a.stop);  // may throw; or return std::expected<T, E> / std::error_code
//   });
//
// Thread-safe. The fast path — policy cached, first attempt succeeds, no timeline, no
// observer, no timeout — takes no lock and allocates nothing.
module;
#include "recourse/export.h"

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

export module recourse.executor;

export import recourse.plugin;
export import :failure;
export import :registry;
export import :work_accounting;
export import :timer_queue;
export import :budget_gate;
export import :jittered_backoff;
export import :options;
export import :builtins;
export import :call_state;
export import :hedge_pool;
export import :hedge_group;
export import :call;
export import :key_index;
export import :circuit_breaker;
export import :latency_tracker;

export namespace recourse {

class RECOURSE_API Executor {
 public:
  explicit Executor(ExecutorOptions options = {});
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // The operation's value, or std::unexpected(Failure). Never throws for the operation.
  template <class Op>
  inline std::expected<ResultOf<Op>, Failure> try_run(std::string_view key, Op&& op, const CallOptions& options = {}) {
    return detail::run(*state_, indexes_->strings.find(key), key, op, options);
  }

  // The same with a key interned once at the call site: no parsing, no hashing.
  template <class Op>
  inline std::expected<ResultOf<Op>, Failure> try_run(KeyHandle key, Op&& op, const CallOptions& options = {}) {
    return detail::run(*state_, indexes_->handles.find(key.id()), key, op, options);
  }

  // The operation's value; a failed call throws recourse::Error carrying the Failure.
  template <class Op>
  inline ResultOf<Op> run(std::string_view key, Op&& op, const CallOptions& options = {}) {
    return value_or_throw(key, try_run(key, op, options));
  }

  template <class Op>
  inline ResultOf<Op> run(KeyHandle key, Op&& op, const CallOptions& options = {}) {
    return value_or_throw(key, try_run(key, op, options));
  }

  // The state of the key's circuit breaker; nullopt when the key is invalid or its policy has
  // no breaker. Read-only: a key not called yet is not compiled (nor counted against
  // max_keys) by asking; its breaker, born on its first call, is closed.
  std::optional<CircuitState> circuit_state(std::string_view key) const;

  // Observer callbacks that threw (and were contained) so far.
  std::uint64_t observer_errors() const noexcept;
  // Calls whose key was past ExecutorOptions::max_keys (each ran under the shared policy of its
  // key's nearest configured layer).
  std::uint64_t over_limit_calls() const noexcept;
  Clock& clock() const noexcept;

 private:
  template <class R, class KeyArg>
  static inline R value_or_throw(KeyArg key, std::expected<R, Failure>&& result) {
    if (!result) [[unlikely]] throw_failure(key, std::move(result.error()));
    if constexpr (!std::is_void_v<R>) return std::move(*result);
  }
  [[noreturn]] static void throw_failure(std::string_view key, Failure failure);
  [[noreturn]] static void throw_failure(KeyHandle key, Failure failure);

  std::unique_ptr<detail::ExecutorState> state_;
  const detail::KeyIndexes* indexes_;  // inside *state_: read inline by the fast path
};

}  // namespace recourse
