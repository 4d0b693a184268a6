// CircuitBreaker (see circuit_breaker.cppm). One mutex per key: the breaker is consulted once
// per call, never per attempt, and its decisions must be consistent across threads.
module;
#include "recourse/mutex.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

module recourse.executor;

namespace recourse {
namespace {
constexpr std::size_t time_buckets = 10;
}

CircuitBreaker::CircuitBreaker(const CircuitPolicy& policy)
    : policy_(policy),
      needs_time_(policy.window_type == WindowType::time || policy.slow_call_duration > Duration::zero()) {
  if (policy_.window_type == WindowType::time) buckets_.resize(time_buckets);
}

CircuitBreaker::CircuitBreaker(const CircuitPolicy& policy, const CircuitBreaker& carried) : CircuitBreaker(policy) {
  detail::MutexLock lock(carried.mutex_);
  state_ = carried.state_;
  public_state_.store(state_, std::memory_order_relaxed);
  opened_at_ = carried.opened_at_;
  consecutive_failures_.store(carried.consecutive_failures_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  generation_.store(carried.generation_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  probe_successes_ = carried.probe_successes_;
  if (policy_.window_type == WindowType::count) {
    // The carried ring, oldest first, then its newest calls up to the new size.
    std::vector<Sample> ordered;
    const std::size_t n = carried.ring_.size();
    for (std::size_t i = 0; i < n; ++i) ordered.push_back(carried.ring_[(carried.ring_next_ + i) % n]);
    const auto size = static_cast<std::size_t>(std::max(policy_.window_size, 1));
    if (ordered.size() > size) ordered.erase(ordered.begin(), ordered.end() - static_cast<std::ptrdiff_t>(size));
    ring_ = std::move(ordered);
    ring_next_ = ring_.size() % size;
  } else if (policy_.window_duration == carried.policy_.window_duration) {
    buckets_ = carried.buckets_;
  }
}

bool CircuitBreaker::carries_over(const CircuitPolicy& before, const CircuitPolicy& after) noexcept {
  return before.enabled && after.enabled && before.kind == after.kind && before.window_type == after.window_type;
}

CircuitState CircuitBreaker::state() const {
  detail::MutexLock lock(mutex_);
  return state_;
}

std::optional<CircuitTransition> CircuitBreaker::move_locked(CircuitState to, TimePoint now) {
  if (to == state_) return std::nullopt;
  const CircuitTransition transition{state_, to};
  state_ = to;
  public_state_.store(to, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  probes_in_flight_ = 0;
  probe_successes_ = 0;
  if (to == CircuitState::open) opened_at_ = now;
  if (to == CircuitState::closed) {
    // A fresh start: old failures must not reopen a breaker that just proved the dependency well.
    consecutive_failures_.store(0, std::memory_order_relaxed);
    ring_.clear();
    ring_next_ = 0;
    for (Bucket& b : buckets_) b = Bucket{};
  }
  return transition;
}

CircuitAdmission CircuitBreaker::admit(TimePoint now) {
  detail::MutexLock lock(mutex_);
  CircuitAdmission admission;
  if (state_ == CircuitState::open) {
    if (now - opened_at_ < policy_.cooldown) {
      admission.allowed = false;
      admission.reason = reason::circuit_open;
      admission.state = CircuitState::open;
      return admission;
    }
    admission.transition = move_locked(CircuitState::half_open, now);
  }
  admission.state = state_;
  admission.generation = generation_.load(std::memory_order_relaxed);
  if (state_ == CircuitState::half_open) {
    if (probes_in_flight_ >= policy_.half_open_probes) {
      admission.allowed = false;
      admission.reason = reason::circuit_half_open_probe_limit;
      return admission;
    }
    ++probes_in_flight_;
    admission.probe = true;
  }
  return admission;
}

std::optional<CircuitTransition> CircuitBreaker::finish(bool probe, std::uint64_t generation, CallVerdict verdict,
                                                        Duration elapsed, TimePoint now) {
  detail::MutexLock lock(mutex_);
  // A call from an earlier period (a probe whose breaker reopened, a closed-state call whose
  // breaker opened and closed again) decides nothing and holds no permit of this period.
  if (generation != generation_.load(std::memory_order_relaxed)) return std::nullopt;
  if (probe) {
    --probes_in_flight_;
    if (verdict == CallVerdict::failure) return move_locked(CircuitState::open, now);
    if (verdict == CallVerdict::success && ++probe_successes_ >= policy_.half_open_probes)
      return move_locked(CircuitState::closed, now);
    return std::nullopt;  // inconclusive: the permit is back, the breaker stays half-open
  }
  if (state_ != CircuitState::closed || verdict == CallVerdict::ignored) return std::nullopt;
  const bool slow = policy_.slow_call_duration > Duration::zero() && elapsed > policy_.slow_call_duration;
  record_locked(Sample{verdict == CallVerdict::failure, slow}, now);
  if (should_open_locked(now)) return move_locked(CircuitState::open, now);
  return std::nullopt;
}

void CircuitBreaker::record_locked(Sample sample, TimePoint now) {
  consecutive_failures_.store(sample.failure ? consecutive_failures_.load(std::memory_order_relaxed) + 1 : 0,
                              std::memory_order_relaxed);
  if (policy_.window_type == WindowType::count) {
    const auto size = static_cast<std::size_t>(std::max(policy_.window_size, 1));
    if (ring_.size() < size) ring_.push_back(sample);
    else ring_[ring_next_] = sample;
    ring_next_ = (ring_next_ + 1) % size;
    return;
  }
  const auto slice = std::max<std::int64_t>(policy_.window_duration.count() / time_buckets, 1);
  const std::int64_t index = now.time_since_epoch().count() / slice;
  Bucket& bucket = buckets_[static_cast<std::size_t>(index) % time_buckets];
  if (bucket.index != index) bucket = Bucket{index, 0, 0, 0};
  ++bucket.calls;
  bucket.failures += sample.failure;
  bucket.slow += sample.slow;
}

bool CircuitBreaker::should_open_locked(TimePoint now) {
  if (policy_.kind == CircuitKind::consecutive && consecutive_failures_ >= policy_.threshold) return true;
  int calls = 0, failures = 0, slow = 0;
  if (policy_.window_type == WindowType::count) {
    for (const Sample& s : ring_) {
      ++calls;
      failures += s.failure;
      slow += s.slow;
    }
  } else {
    const auto slice = std::max<std::int64_t>(policy_.window_duration.count() / time_buckets, 1);
    const std::int64_t current = now.time_since_epoch().count() / slice;
    for (const Bucket& b : buckets_) {
      if (b.index < 0 || current - b.index >= static_cast<std::int64_t>(time_buckets)) continue;
      calls += b.calls;
      failures += b.failures;
      slow += b.slow;
    }
  }
  if (calls < policy_.minimum_calls) return false;
  const double failure_rate = 100.0 * failures / calls;
  const double slow_rate = 100.0 * slow / calls;
  if (policy_.kind == CircuitKind::failure_rate && failure_rate >= policy_.failure_rate_threshold) return true;
  return policy_.slow_call_duration > Duration::zero() && slow_rate >= policy_.slow_call_rate_threshold;
}

}  // namespace recourse
