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
#include <string_view>
#include <type_traits>
#include <utility>

export module recourse.executor;

export import recourse.plugin;
export import :failure;
export import :registry;
export import :options;
export import :builtins;
export import :call;

export namespace recourse {

class RECOURSE_API Executor {
 public:
  explicit Executor(ExecutorOptions options = {});
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // The operation's value, or std::unexpected(Failure). Never throws for the operation.
  template <class Op>
  std::expected<detail::ResultOf<Op>, Failure> try_run(std::string_view key, Op&& op,
                                                       const CallOptions& options = {}) {
    detail::CallState call(*state_, options);
    call.begin(key);
    return detail::run_call(call, op);
  }

  // The same with a key interned once at the call site: no parsing, no hashing.
  template <class Op>
  std::expected<detail::ResultOf<Op>, Failure> try_run(KeyHandle key, Op&& op, const CallOptions& options = {}) {
    detail::CallState call(*state_, options);
    call.begin(key);
    return detail::run_call(call, op);
  }

  // The operation's value; a failed call throws recourse::Error carrying the Failure.
  template <class Op>
  detail::ResultOf<Op> run(std::string_view key, Op&& op, const CallOptions& options = {}) {
    return value_or_throw(key, try_run(key, std::forward<Op>(op), options));
  }

  template <class Op>
  detail::ResultOf<Op> run(KeyHandle key, Op&& op, const CallOptions& options = {}) {
    return value_or_throw(key.key().str(), try_run(key, std::forward<Op>(op), options));
  }

  // Observer callbacks that threw (and were contained) so far.
  std::uint64_t observer_errors() const noexcept;
  Clock& clock() const noexcept;

 private:
  template <class R>
  static R value_or_throw(std::string_view key, std::expected<R, Failure>&& result) {
    if (!result) throw Error(key, std::move(result.error()));
    if constexpr (!std::is_void_v<R>) return std::move(*result);
  }

  std::unique_ptr<detail::ExecutorState> state_;
};

}  // namespace recourse
