// recourse.executor:builtins — the components available with no plugin loaded: classifiers
// `always` (the default) and `never`, backoffs `exponential` and `constant`, budget
// `unlimited`, the built-in and static policy providers, the system and virtual clocks, and
// the random sources.
module;
#include "recourse/export.h"
#include "recourse/mutex.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <vector>
#include <memory>
#include <optional>
#include <stop_token>
#include <string_view>
#include <thread>
#include <unordered_map>

export module recourse.executor:builtins;

import recourse.plugin;
import :work_accounting;
import :timer_queue;

export namespace recourse {

// The components every executor has with no plugin loaded, named in one place: the executor
// registers them under these names, the host's component catalogue lists them in its "known:
// …" messages, and the tools describe them from `summary`.
struct BuiltinComponent {
  ComponentCategory category;
  std::string_view name;
  std::string_view summary;
};

namespace builtin {
inline constexpr std::string_view always = "always";
inline constexpr std::string_view never = "never";
inline constexpr std::string_view exponential = "exponential";
inline constexpr std::string_view constant = "constant";
inline constexpr std::string_view unlimited = "unlimited";
}  // namespace builtin

inline constexpr BuiltinComponent builtin_components[]{
    {ComponentCategory::classifier, builtin::always, "retries every failure"},
    {ComponentCategory::classifier, builtin::never, "never retries"},
    {ComponentCategory::backoff, builtin::exponential, "initial_backoff x multiplier^(retry-1), capped at max_backoff"},
    {ComponentCategory::backoff, builtin::constant, "always initial_backoff"},
    {ComponentCategory::budget, builtin::unlimited, "never refuses"},
};

// The failing reason a protocol status implies, or nullopt when it reports success (or there
// is none): HTTP 0 → http_transport_error, HTTP >= 400 → http_<status>, gRPC != OK → grpc_<code>.
RECOURSE_API std::optional<std::string_view> protocol_failure_reason(const ProtocolStatus& status) noexcept;

// Retries any failure: exceptions, error codes, failing protocol statuses, deadline-exceeded
// attempts. Cancellation aborts. Honours Retry-After / pushback as a backoff override.
class RECOURSE_API AlwaysClassifier final : public Classifier {
 public:
  Outcome classify(const AttemptView& attempt) const override;
};

// Never retries: a value is success, anything else is non-retryable; cancellation aborts.
class RECOURSE_API NeverClassifier final : public Classifier {
 public:
  Outcome classify(const AttemptView& attempt) const override;
};

// initial × multiplier^(retry−1), capped at max_backoff; overflow-safe for any retry number.
class RECOURSE_API ExponentialBackoff final : public BackoffStrategy {
 public:
  Duration delay(const BackoffInput& input) const override;
};

// Always initial_backoff.
class RECOURSE_API ConstantBackoff final : public BackoffStrategy {
 public:
  Duration delay(const BackoffInput& input) const override;
};

// Allows everything; what a policy with no budget would do, but explicit and named.
class RECOURSE_API UnlimitedBudget final : public Budget {
 public:
  BudgetDecision acquire(const BudgetRequest& request) override;
};

// The built-in policy for every key: what an Executor built without a provider uses.
class RECOURSE_API BuiltinPolicyProvider final : public PolicyProvider {
 public:
  std::optional<ResolvedPolicy> policy_for(const Key& key) const override;
};

// Policies from a PolicyTable (usually loaded from TOML). A key no layer matches has no
// policy, so the executor's missing-policy mode decides; a [defaults] table matches every key.
class RECOURSE_API StaticPolicyProvider final : public PolicyProvider {
 public:
  explicit StaticPolicyProvider(PolicyTable table);
  std::optional<ResolvedPolicy> policy_for(const Key& key) const override;
  const PolicyTable& table() const noexcept;

 private:
  PolicyTable table_;
};

// Real time: std::chrono::steady_clock (and system_clock for the calendar), with one timer
// thread started on first use.
class RECOURSE_API SystemClock final : public Clock {
 public:
  SystemClock();
  ~SystemClock() override;
  TimePoint now() const noexcept override;
  WallTime wall_now() const noexcept override;
  bool sleep_until(TimePoint until, std::stop_token stop) override;
  TimerId schedule(TimePoint when, std::function<void()> fire) override;
  void cancel(TimerId id) noexcept override;

 private:
  struct Timers;
  std::unique_ptr<Timers> timers_;
};

// Virtual time for tests and the simulator. Time moves only when nothing is working: every
// thread that works for calls (ClockWorkScope, and the executor's hedge threads) is asleep on
// the clock. Then the clock takes the earliest thing due — a timer (timers first at equal
// times, so a deadline interrupts the sleep it falls into) or a sleeper — and runs or wakes
// exactly that one, and waits again until everyone sleeps. Concurrent attempts therefore
// proceed one event at a time, in time order: a run is deterministic, whatever the threads.
// Threads that never entered (single-threaded tests) are not waited for; a lone sleeper
// advances the clock at once, as it would with a plain "jump to the wake time" clock.
//
// Its calendar starts at `wall_start` (by default 2026-01-01T00:00:00Z, so runs stay
// reproducible) and moves with now().
class RECOURSE_API VirtualClock final : public Clock, public detail::WorkAccounting {
 public:
  static constexpr WallTime default_wall_start = WallTime(std::chrono::seconds(1'767'225'600));

  explicit VirtualClock(TimePoint start = TimePoint{}, WallTime wall_start = default_wall_start);
  ~VirtualClock() override;
  TimePoint now() const noexcept override;
  WallTime wall_now() const noexcept override;
  bool sleep_until(TimePoint until, std::stop_token stop) override;
  TimerId schedule(TimePoint when, std::function<void()> fire) override;
  void cancel(TimerId id) noexcept override;
  // Moves time forward by `by`, firing due timers; what a test does between calls.
  void advance(Duration by);
  // Work accounting, for whoever drives this clock from several threads (the simulator's
  // clients; usually ClockWorkScope is enough). The executor brackets its hedge threads itself.
  // hold(): a worker is about to begin on another thread; time must not pass until it has
  // entered with `held` = true, taking the hold over.
  void hold() noexcept override;
  void enter(bool held) noexcept override;
  void leave() noexcept override;
  bool entered() const noexcept override;
  // yield(): the calling worker sleeps until now, so it runs again after every worker that can
  // run now has come to wait — in the order of sleeping, like any sleeper due now.
  void yield() noexcept override;

 public:
  struct Sleeper;  // one sleep_until in progress (virtual_clock.cpp)

 private:
  // While no worker runs: fires due timers and wakes sleepers, earliest first, one at a time.
  void advance_locked(detail::UniqueLock& lock) RECOURSE_REQUIRES(mutex_);
  void wake_stopped(Sleeper& sleeper) noexcept RECOURSE_EXCLUDES(mutex_);
  void drop_hold() noexcept RECOURSE_EXCLUDES(mutex_);  // one fewer running; time may move

  const TimePoint start_;
  const WallTime wall_start_;
  // Guards the clock's state below and each Sleeper's fields (which the analysis cannot see:
  // a Sleeper does not know its clock).
  mutable detail::Mutex mutex_;
  TimePoint now_ RECOURSE_GUARDED_BY(mutex_);
  int running_ RECOURSE_GUARDED_BY(mutex_) = 0;         // workers not asleep, plus holds
  // A timer callback is running; its thread goes on advancing after.
  bool advancing_ RECOURSE_GUARDED_BY(mutex_) = false;
  std::uint64_t next_sleeper_ RECOURSE_GUARDED_BY(mutex_) = 0;
  // A binary min-heap in wake order (until, then order of sleeping); a vector that keeps its
  // capacity, so a sleep allocates nothing once the clock has seen as many sleepers at once.
  std::vector<Sleeper*> sleepers_ RECOURSE_GUARDED_BY(mutex_);
  detail::TimerQueue timers_ RECOURSE_GUARDED_BY(mutex_);
};

// The calling thread works for calls on `clock` while this lives: a test or simulation that
// drives one VirtualClock from several threads brackets each of them with one.
class ClockWorkScope {
 public:
  inline explicit ClockWorkScope(VirtualClock& clock) noexcept : clock_(clock) { clock_.enter(false); }
  inline ~ClockWorkScope() { clock_.leave(); }
  ClockWorkScope(const ClockWorkScope&) = delete;
  ClockWorkScope& operator=(const ClockWorkScope&) = delete;

 private:
  VirtualClock& clock_;
};

// SplitMix64 over an atomic counter: lock-free, thread-safe, reproducible for a seed.
class RECOURSE_API SplitMixRandom final : public RandomSource {
 public:
  explicit SplitMixRandom(std::uint64_t seed);
  double next_unit() noexcept override;

 private:
  std::atomic<std::uint64_t> state_;
};

// Always the same value: pins jitter in tests (`jitter_random = 0.5` in a scenario).
class RECOURSE_API FixedRandom final : public RandomSource {
 public:
  explicit FixedRandom(double value);
  double next_unit() noexcept override;

 private:
  double value_;
};

}  // namespace recourse
