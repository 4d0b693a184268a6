// recourse.executor:circuit_breaker — one key's breaker (the resilience4j model): closed →
// open when the dependency keeps failing, open → half-open after a cooldown, half-open → closed
// after enough successful probes or back to open on a failed one. Counts calls, not attempts;
// what is not the dependency's fault (aborts, cancellations, budget denials) is not counted.
module;
#include "recourse/export.h"
#include "recourse/mutex.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

export module recourse.executor:circuit_breaker;

import recourse.plugin;

export namespace recourse {

// How a call ended, as the breaker counts it.
enum class CallVerdict : std::uint8_t { success, failure, ignored };

struct CircuitAdmission {
  bool allowed = true;
  bool probe = false;          // a half-open probe: its end decides the state
  std::string_view reason;     // circuit_open | circuit_half_open_probe_limit when refused
  CircuitState state = CircuitState::closed;  // the state the call met
  std::optional<CircuitTransition> transition;  // open → half-open, when this call caused it
  std::uint64_t generation = 0;  // the breaker period the call was admitted in; pass it to finish()
};

class RECOURSE_API CircuitBreaker {
 public:
  explicit CircuitBreaker(const CircuitPolicy& policy);
  // A reload's breaker for a key whose breaker lives on (carries_over): the carried one's state,
  // cooldown start and window, judged from now on by `policy`'s thresholds. A count window
  // keeps its newest calls up to the new size; a time window keeps its buckets when its
  // duration is unchanged (their slices would not line up otherwise). Probes in flight stay
  // with the carried breaker: they end there.
  CircuitBreaker(const CircuitPolicy& policy, const CircuitBreaker& carried);
  // Whether a key's breaker survives its policy changing from `before` to `after`: both enable
  // one, of the same kind over the same window type.
  static bool carries_over(const CircuitPolicy& before, const CircuitPolicy& after) noexcept;
  const CircuitPolicy& policy() const noexcept { return policy_; }

  // Whether a call may run now. A refused call has no permit to return.
  CircuitAdmission admit(TimePoint now) RECOURSE_EXCLUDES(mutex_);
  // The end of an admitted call; `probe` and `generation` from its admission. A call admitted
  // in an earlier period (the breaker changed state since) decides nothing. Returns the
  // transition it caused.
  std::optional<CircuitTransition> finish(bool probe, std::uint64_t generation, CallVerdict verdict, Duration elapsed,
                                          TimePoint now) RECOURSE_EXCLUDES(mutex_);
  // The current period, for calls admitted without admit() (the inline fast path, closed).
  inline std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }
  CircuitState state() const RECOURSE_EXCLUDES(mutex_);

  // The inline fast path's view: closed right now (no lock), whether ending a call needs its
  // start time (time window or slow-call tracking), and a success that changes nothing — a
  // consecutive breaker with no failures counted — costing no lock and no write.
  inline bool closed() const noexcept { return public_state_.load(std::memory_order_acquire) == CircuitState::closed; }
  inline bool needs_time() const noexcept { return needs_time_; }
  inline bool success_changes_nothing() const noexcept {
    return !needs_time_ && policy_.kind == CircuitKind::consecutive &&
           consecutive_failures_.load(std::memory_order_relaxed) == 0;
  }

 private:
  struct Sample {
    bool failure;
    bool slow;
  };
  void record_locked(Sample sample, TimePoint now) RECOURSE_REQUIRES(mutex_);
  bool should_open_locked(TimePoint now) RECOURSE_REQUIRES(mutex_);
  std::optional<CircuitTransition> move_locked(CircuitState to, TimePoint now) RECOURSE_REQUIRES(mutex_);

  const CircuitPolicy policy_;
  const bool needs_time_;
  mutable detail::Mutex mutex_;
  CircuitState state_ RECOURSE_GUARDED_BY(mutex_) = CircuitState::closed;
  std::atomic<CircuitState> public_state_{CircuitState::closed};  // state_, readable without the lock
  TimePoint opened_at_ RECOURSE_GUARDED_BY(mutex_){};
  std::atomic<int> consecutive_failures_{0};  // written under the lock, read without it
  std::atomic<std::uint64_t> generation_{0};  // bumped on every transition
  int probes_in_flight_ RECOURSE_GUARDED_BY(mutex_) = 0;
  int probe_successes_ RECOURSE_GUARDED_BY(mutex_) = 0;
  // The failure-rate window: a ring of the last window_size calls (count window) or per-bucket
  // totals over window_duration (time window, ten buckets).
  std::vector<Sample> ring_ RECOURSE_GUARDED_BY(mutex_);
  std::size_t ring_next_ RECOURSE_GUARDED_BY(mutex_) = 0;
  struct Bucket {
    std::int64_t index = -1;  // which window slice it holds
    int calls = 0, failures = 0, slow = 0;
  };
  std::vector<Bucket> buckets_ RECOURSE_GUARDED_BY(mutex_);
};

}  // namespace recourse
