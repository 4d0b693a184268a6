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
#include "recourse/mutex.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

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
export import :watched_first;
export import :hedge_pool;
export import :hedge_group;
export import :call;
export import :key_index;
export import :circuit_breaker;
export import :latency_tracker;
export import :epoch;

export namespace recourse {

// What Executor::replace did.
struct Replacement {
  std::uint64_t generation = 0;             // the new generation's number
  std::vector<std::string> breakers_reset;  // keys whose breaker starts fresh (ConfigEvent)
};

class RECOURSE_API Executor {
 public:
  explicit Executor(ExecutorOptions options = {});
  // No call may still run (as for any object); generations retired and not yet destroyed go too.
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // The operation's value, or std::unexpected(Failure). Never throws for the operation.
  // The whole call runs on the generation current when it began (see replace()).
  template <class Op>
  inline std::expected<ResultOf<Op>, Failure> try_run(std::string_view key, Op&& op, const CallOptions& options = {}) {
    const detail::ReadSection section;
    detail::GenerationHead& current = *current_.load(std::memory_order_acquire);
    return detail::run(*current.state, current.indexes.strings.find(key), key, op, options);
  }

  // The same with a key interned once at the call site: no parsing, no hashing.
  template <class Op>
  inline std::expected<ResultOf<Op>, Failure> try_run(KeyHandle key, Op&& op, const CallOptions& options = {}) {
    const detail::ReadSection section;
    detail::GenerationHead& current = *current_.load(std::memory_order_acquire);
    return detail::run(*current.state, current.indexes.handles.find(key.id()), key, op, options);
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

  // Makes `next` the executor's configuration in one step: provider, components, observers and
  // limits together, as the next generation. Calls that began before keep theirs to the end;
  // calls that begin after see only the new one. The old generation is destroyed when its last
  // call has ended (on the thread that ends it), its dropped observers flushed first.
  // State that must outlive a policy change carries over: each key's breaker (shared when its
  // circuit policy is unchanged, seeded when only thresholds changed, fresh when kind or window
  // type changed: Replacement::breakers_reset), its latency samples, KeyHandles, the keys
  // holding a max_keys slot, the hedge pool when its size is unchanged, and the clock and
  // random source when `next` names none. Budgets are the caller's objects: keep one by
  // passing it again. The new generation's observers hear of it (on_config, accepted).
  // Thread-safe; replacements are serialized.
  Replacement replace(ExecutorOptions next, std::vector<std::string> changes = {});
  // Tells the observers of the running generation of a configuration that was refused (the
  // host's reload, before anything changed).
  void report_refused(ConfigEvent event) noexcept;
  std::uint64_t generation() const noexcept;
  // Replaced generations whose last call has not ended yet (each destroyed when it does).
  std::size_t generations_retiring() const noexcept;

  // The state of the key's circuit breaker; nullopt when the key is invalid or its policy has
  // no breaker. Read-only: a key not called yet is not compiled (nor counted against
  // max_keys) by asking; its breaker, born on its first call, is closed (or the one carried).
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

  // The running generation. Owned: replace() retires the one it displaces to the epoch domain.
  std::atomic<detail::GenerationHead*> current_;
  std::unique_ptr<detail::Mutex> replacing_;  // one replace() at a time
};

}  // namespace recourse
