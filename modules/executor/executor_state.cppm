// recourse.executor:state (internal) — what an Executor holds: its components, and the
// per-key compiled policies with the lock-free indexes the hot path reads.
module;
#include "recourse/mutex.h"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

module recourse.executor:state;

import recourse.plugin;
import :builtins;
import :options;
import :key_index;
import :circuit_breaker;
import :latency_tracker;
import :hedge_pool;
import :budget_gate;
import :jittered_backoff;
import :work_accounting;
import :observer_roster;

namespace recourse::detail {

// Everything a call needs about its key, resolved once: the policy and the components it
// names. Immutable after construction, and never freed before its generation, so calls hold
// plain pointers to it.
struct CompiledPolicy : PolicyHead {
  std::string key;
  ResolvedPolicy resolved;
  const Classifier* classifier = nullptr;
  bool classifier_fallback = false;
  std::uint32_t key_slot = CallInfo::no_key_slot;  // its max_keys slot; none past the limit
  // The policy's strategy inside its jitter: the whole delay before a retry.
  std::optional<JitteredBackoff> backoff;
  BudgetGate retry_gate;  // asked before every retry
  // Hedging (policy hedge.enabled): the gate asked before every hedge, and the key's successful
  // attempt latencies when a latency trigger needs them.
  bool hedging = false;
  BudgetGate hedge_gate;
  std::shared_ptr<LatencyTracker> latencies;  // carried across generations
  const HedgeTrigger* trigger = nullptr;  // trigger = custom; null: it is not registered
  // The budgets a call under this policy tells of its start, end and attempts (each once).
  inline std::array<Budget*, 2> budgets() const noexcept {
    Budget* const retry = retry_gate.budget();
    Budget* const hedge = hedge_gate.budget();
    return {retry, hedge != retry ? hedge : nullptr};
  }
  std::string_view refusal;           // non-empty: every call is refused with this reason
  bool single_attempt = false;        // an `allow` mode: one unprotected attempt
  bool cardinality_limited = false;
  bool timed = false;                 // a per-attempt or overall timeout is set
  std::shared_ptr<CircuitBreaker> owned_breaker;  // the key's, when its policy enables one
  std::vector<std::string_view> modes_used;
};

// Counters an executor reports across its generations.
using ExecutorCounters = ExecutorStats;  // the executor's counters, public so a host can share them

// The number of each key that holds a slot (CallInfo::key_slot), one table for every generation
// of an executor: a key compiled by an old generation after the swap and by the new one gets
// one number, and no number is given to two keys.
struct KeySlotNumbers {
  Mutex mutex;
  std::map<std::string, std::uint32_t, std::less<>> numbers RECOURSE_GUARDED_BY(mutex);
  std::uint32_t number_of(const std::string& key) {
    MutexLock lock(mutex);
    return numbers.try_emplace(key, static_cast<std::uint32_t>(numbers.size())).first->second;
  }
};

// How many generations of one executor hold each observer. An observer is flushed when it
// leaves the last of them — a reload dropped it and the last call of its generation ended, or
// the executor is destroyed — never while a newer generation still has it.
struct ObserverMembership {
  Mutex mutex;
  std::map<const Observer*, int> generations RECOURSE_GUARDED_BY(mutex);
};

// What one generation hands the next (Executor::replace): the state that must outlive a policy
// change. Breakers and latency samples are the objects themselves — the next generation
// shares them when its policy for the key is the same, or seeds its own from them — taken
// when the key is first compiled there, so calls of the old generation that end in between
// still count.
struct CarriedState {
  std::set<std::string, std::less<>> keys;  // keys that hold a max_keys slot
  std::shared_ptr<KeySlotNumbers> slot_numbers;
  std::map<std::string, std::shared_ptr<CircuitBreaker>, std::less<>> breakers;
  std::map<std::string, std::shared_ptr<LatencyTracker>, std::less<>> latencies;
  std::shared_ptr<HedgePool> hedge_pool;  // kept when the pool's size is unchanged
  std::shared_ptr<Clock> clock;
  std::shared_ptr<RandomSource> random;
  std::shared_ptr<ExecutorCounters> counters;
  std::shared_ptr<ObserverMembership> membership;
  // The successor names another clock: the carried breakers' cooldown starts and time buckets
  // are in the old clock's time, so none is kept (each is listed in breakers_reset).
  bool clock_changed = false;
};

// One generation of an executor: its options made real, and the keys compiled under them.
struct ExecutorState : GenerationHead {
  ExecutorState(ExecutorOptions options, std::uint64_t number, CarriedState carried = {});
  ~ExecutorState();
  ExecutorState(const ExecutorState&) = delete;
  ExecutorState& operator=(const ExecutorState&) = delete;

  // What the generation built from `successor` takes over. The hedge pool goes along when its
  // size is unchanged; otherwise the successor starts its own and this one's threads end with
  // this generation.
  CarriedState carry(const ExecutorOptions& successor) const RECOURSE_EXCLUDES(mutex_);
  // The carried keys whose breaker this generation's policy does not keep (carries_over): they
  // start fresh here, closed with an empty window.
  std::vector<std::string> breakers_reset() const RECOURSE_EXCLUDES(mutex_);

  // The compiled policy for a valid key: from the indexes, or compiled under the lock.
  const CompiledPolicy* policy_for(std::string_view raw_text, const Key& key);
  const CompiledPolicy* policy_for(KeyHandle key);
  // What a call of `key` would find its breaker in, compiling nothing (no max_keys slot spent):
  // nullopt when its policy has no breaker; closed for a policy not compiled yet.
  std::optional<CircuitState> circuit_state_of(const Key& key) const;
  inline const CompiledPolicy* find(std::string_view raw_text) const noexcept {
    return static_cast<const CompiledPolicy*>(indexes.strings.find(raw_text));
  }
  inline const CompiledPolicy* find(KeyHandle key) const noexcept {
    return static_cast<const CompiledPolicy*>(indexes.handles.find(key.id()));
  }

  // Observer fan-out to those that want `kind`, with containment: an observer that throws is
  // counted, nothing more.
  template <class Event>
  void notify(ObserverEvent kind, Event&& event) noexcept {
    for (Observer* observer : roster.of(kind)) {
      try {
        event(*observer);
      } catch (...) {
        counters->observer_errors.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  ExecutorOptions options;
  const std::vector<std::shared_ptr<Observer>>& observers;
  const ObserverRoster roster;  // who of them is told what
  Clock& clock;
  WorkAccounting& work;  // the clock's (virtual time must know about hedge threads)
  RandomSource& random;
  const Classifier* default_classifier;
  std::shared_ptr<ExecutorCounters> counters;
  std::shared_ptr<HedgePool> hedge_pool;
  std::shared_ptr<ObserverMembership> membership;
  std::shared_ptr<KeySlotNumbers> slot_numbers;

 private:
  template <class Find, class Publish>
  const CompiledPolicy* compile_once(const Key& key, Find find_published, Publish publish);
  const CompiledPolicy* compile_locked(const Key& key) RECOURSE_REQUIRES(mutex_);
  // Whether `key` holds a max_keys slot or could take one.
  bool wants_slot(const Key& key) const RECOURSE_EXCLUDES(mutex_);
  // The provider's policy for `key`; one that throws has none. Under the lock: PolicyProvider
  // promises no thread safety, so it is asked one call at a time.
  std::optional<ResolvedPolicy> ask_provider(const Key& key) const RECOURSE_REQUIRES(mutex_);
  // A new key with this policy would be past max_keys (a key configured by its exact name never is).
  bool past_key_limit(const Key& key, const std::optional<ResolvedPolicy>& resolved) const RECOURSE_REQUIRES(mutex_);
  const CompiledPolicy* over_limit_policy(const Key& key, std::optional<ResolvedPolicy> resolved)
      RECOURSE_REQUIRES(mutex_);
  void report_over_limit(std::string_view key, std::string_view layer, bool last) noexcept;
  std::unique_ptr<CompiledPolicy> compile(const Key& key, std::optional<ResolvedPolicy> resolved) const;
  // Whether this generation's policy for `key` keeps `carried`, its breaker from before.
  bool keeps(const std::string& key, const CircuitBreaker& carried) const RECOURSE_REQUIRES(mutex_);
  std::shared_ptr<CircuitBreaker> carried_breaker(const Key& key, const CircuitPolicy& policy) const;
  std::shared_ptr<LatencyTracker> carried_latencies(const Key& key, const HedgePolicy& hedge) const;
  // A budget a policy names: found, or what the missing-budget mode makes of it.
  Budget* find_budget(std::string_view name, std::vector<std::string_view>& modes_used) const;

  mutable Mutex mutex_;  // circuit_state_of() reads under it too
  const CarriedState carried_;
  // options.provider, when it must prepare a key before it answers for it (else null).
  PreparingPolicyProvider* const preparing_;
  // Distinct canonical keys compiled here.
  std::map<std::string, const CompiledPolicy*, std::less<>> by_key_ RECOURSE_GUARDED_BY(mutex_);
  // Keys holding a max_keys slot: the ones carried in and the ones compiled here.
  std::set<std::string, std::less<>> slot_keys_ RECOURSE_GUARDED_BY(mutex_);
  std::deque<std::unique_ptr<CompiledPolicy>> compiled_ RECOURSE_GUARDED_BY(mutex_);
  // Keys past max_keys share the policy of their nearest layer, compiled once per layer.
  std::map<std::string, std::unique_ptr<CompiledPolicy>, std::less<>> over_limit_ RECOURSE_GUARDED_BY(mutex_);
  std::set<std::string, std::less<>> reported_over_limit_ RECOURSE_GUARDED_BY(mutex_);
};

}  // namespace recourse::detail
