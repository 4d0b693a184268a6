// ExecutorState: components with their defaults, and compilation of a key's policy into the
// immutable CompiledPolicy the hot path reads (see executor_state.cppm).
module;
#include "recourse/mutex.h"

#include <chrono>
#include <cstdint>
#include <algorithm>
#include <functional>
#include <map>
#include <vector>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

module recourse.executor;

import :state;

namespace recourse::detail {
namespace {

template <class Component, class Builtin>
void add_builtin(ComponentRegistry<Component>& registry, std::string_view name) {
  if (registry.find(name) == nullptr) (void)registry.add(std::string(name), std::make_shared<Builtin>());
}

// A virtual clock must know about the hedge threads; any other clock's time passes by itself.
WorkAccounting& work_accounting_of(Clock& clock) noexcept {
  if (auto* work = dynamic_cast<WorkAccounting*>(&clock)) return *work;
  return no_work_accounting();
}

ExecutorOptions with_defaults(ExecutorOptions options, const CarriedState& carried) {
  if (!options.provider) options.provider = std::make_shared<BuiltinPolicyProvider>();
  if (!options.clock) options.clock = carried.clock;
  if (!options.random) options.random = carried.random;
  if (!options.clock) options.clock = std::make_shared<SystemClock>();
  if (!options.random) {
    // Per-executor stream; only the seed comes from outside the injected sources.
    const auto seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                      reinterpret_cast<std::uintptr_t>(&options);
    options.random = std::make_shared<SplitMixRandom>(seed);
  }
  add_builtin<Classifier, AlwaysClassifier>(options.classifiers, builtin::always);
  add_builtin<Classifier, NeverClassifier>(options.classifiers, builtin::never);
  add_builtin<BackoffStrategy, ExponentialBackoff>(options.backoffs, builtin::exponential);
  add_builtin<BackoffStrategy, ConstantBackoff>(options.backoffs, builtin::constant);
  add_builtin<Budget, UnlimitedBudget>(options.budgets, builtin::unlimited);
  return options;
}

}  // namespace

ExecutorState::ExecutorState(ExecutorOptions opts, std::uint64_t number, CarriedState carried)
    : GenerationHead(opts.max_keys * 4, this, number),
      options(with_defaults(std::move(opts), carried)),
      observers(options.observers),
      roster(observers),
      clock(*options.clock),
      work(work_accounting_of(clock)),
      random(*options.random),
      default_classifier(options.classifiers.find(options.default_classifier)),
      counters(carried.counters ? carried.counters
               : options.stats  ? options.stats
                                : std::make_shared<ExecutorCounters>()),
      hedge_pool(carried.hedge_pool ? carried.hedge_pool
                                    : std::make_shared<HedgePool>(work, options.hedge_threads, options.hedge_queue)),
      membership(carried.membership ? carried.membership : std::make_shared<ObserverMembership>()),
      slot_numbers(carried.slot_numbers ? carried.slot_numbers : std::make_shared<KeySlotNumbers>()),
      carried_(std::move(carried)),
      preparing_(dynamic_cast<PreparingPolicyProvider*>(options.provider.get())) {
  if (default_classifier == nullptr) default_classifier = options.classifiers.find(builtin::always);
  {
    MutexLock lock(membership->mutex);
    for (const auto& observer : observers) ++membership->generations[observer.get()];
  }
  MutexLock lock(mutex_);
  slot_keys_ = carried_.keys;
}

// After its last call. What it alone used goes with it; the observers no other generation of
// the executor holds are flushed first (a complete file, a closed JSON array), while their
// library is still loaded (the options, which hold it, are destroyed after this body).
ExecutorState::~ExecutorState() {
  std::vector<Observer*> leaving;
  {
    MutexLock lock(membership->mutex);
    for (const auto& observer : observers) {
      const auto it = membership->generations.find(observer.get());
      if (it != membership->generations.end() && --it->second == 0) {
        membership->generations.erase(it);
        leaving.push_back(observer.get());
      }
    }
  }
  for (Observer* observer : leaving) observer->flush();  // noexcept
}

CarriedState ExecutorState::carry(const ExecutorOptions& successor) const {
  CarriedState next;
  const bool same_clock = !successor.clock || successor.clock == options.clock;  // the pool counts work on it
  if (same_clock && successor.hedge_threads == options.hedge_threads && successor.hedge_queue == options.hedge_queue)
    next.hedge_pool = hedge_pool;
  next.clock = options.clock;
  next.clock_changed = !same_clock;
  next.random = options.random;
  next.counters = counters;
  next.membership = membership;
  next.slot_numbers = slot_numbers;
  MutexLock lock(mutex_);
  next.keys = slot_keys_;
  // What was carried in and not compiled here passes on as it came — a breaker only if this
  // generation's policy keeps it (breakers_reset() reported the others as reset, so a later
  // generation must not bring them back).
  for (const auto& [key, breaker] : carried_.breakers)
    if (!by_key_.contains(key) && keeps(key, *breaker)) next.breakers.emplace(key, breaker);
  for (const auto& [key, tracker] : carried_.latencies)
    if (!by_key_.contains(key)) next.latencies.emplace(key, tracker);
  for (const auto& [key, policy] : by_key_) {
    if (policy->owned_breaker) next.breakers.emplace(key, policy->owned_breaker);
    if (policy->latencies) next.latencies.emplace(key, policy->latencies);
  }
  return next;
}

std::vector<std::string> ExecutorState::breakers_reset() const {
  std::vector<std::string> reset;
  MutexLock lock(mutex_);
  for (const auto& [key, breaker] : carried_.breakers)
    if (!keeps(key, *breaker)) reset.push_back(key);
  return reset;
}

bool ExecutorState::keeps(const std::string& key, const CircuitBreaker& carried) const {
  const auto parsed = Key::parse(key);
  if (carried_.clock_changed) return false;
  const std::optional<ResolvedPolicy> here = parsed ? ask_provider(*parsed) : std::nullopt;
  return here && CircuitBreaker::carries_over(carried.policy(), here->policy.circuit);
}

// Both lookups share one shape: under the lock, take what a racing call published or compile
// it, publish it unless the key is past the limit, and report an over-limit key once — after
// unlocking, since an observer may call back into the executor.
template <class Find, class Publish>
const CompiledPolicy* ExecutorState::compile_once(const Key& key, Find find_published, Publish publish) {
  const CompiledPolicy* policy;
  bool report = false;
  bool report_full = false;
  if (preparing_ != nullptr && wants_slot(key)) preparing_->prepare(key);  // may wait (bounded): not under the lock
  {
    MutexLock lock(mutex_);
    if (const CompiledPolicy* raced = find_published()) return raced;
    policy = compile_locked(key);
    if (!policy->cardinality_limited) {
      publish(policy);
    } else {
      counters->over_limit_calls.fetch_add(1, std::memory_order_relaxed);
      if (reported_over_limit_.size() < options.max_keys * 10) {
        report = reported_over_limit_.insert(key.str()).second;
        report_full = report && reported_over_limit_.size() == options.max_keys * 10;
      }
    }
  }
  if (report) report_over_limit(key.str(), policy->resolved.policy.id, report_full);
  return policy;
}

// Observers hear of each key once; without an observer that wants it the logger does, so an overflow is
// never silent (and the counter is there either way).
void ExecutorState::report_over_limit(std::string_view key, std::string_view layer, bool last) noexcept {
  if (roster.wants(ObserverEvent::cardinality_exceeded)) {
    notify(ObserverEvent::cardinality_exceeded, [&](Observer& o) { o.on_cardinality_exceeded(key); });
    return;
  }
  if (!options.logger) return;
  try {
    std::string message = "key \"" + std::string(key) + "\" is past max_keys (" + std::to_string(options.max_keys) +
                          " distinct keys): it runs under the shared policy of its nearest configured layer (" +
                          std::string(layer) + ")";
    if (last) message += "; further keys past the limit are counted, not logged";
    options.logger->log(LogLevel::warn, message);
  } catch (...) {
  }
}

const CompiledPolicy* ExecutorState::policy_for(std::string_view raw_text, const Key& key) {
  return compile_once(
      key, [&] { return find(raw_text); }, [&](const CompiledPolicy* p) { indexes.strings.insert(raw_text, p); });
}

const CompiledPolicy* ExecutorState::policy_for(KeyHandle handle) {
  return compile_once(
      handle.key(), [&] { return find(handle); },
      [&](const CompiledPolicy* p) { indexes.handles.insert(handle.id(), p); });
}

// A key past max_keys is never published, so it reaches compile_once on every call: the
// provider is not asked to prepare it (a per-key control plane would fetch every generated key).
bool ExecutorState::wants_slot(const Key& key) const {
  MutexLock lock(mutex_);
  return slot_keys_.size() < options.max_keys || slot_keys_.contains(key.str());
}

std::optional<ResolvedPolicy> ExecutorState::ask_provider(const Key& key) const {
  try {
    return options.provider->policy_for(key);
  } catch (...) {
    return std::nullopt;  // a provider that throws has no policy for the key
  }
}

// Past the limit, a key configured by its exact name still gets its own policy — the limit
// exists against generated keys, and a generated key must never strip `payments.Charge` of
// its classifier, attempts and breaker. Any other key runs under its nearest configured layer.
bool ExecutorState::past_key_limit(const Key& key, const std::optional<ResolvedPolicy>& resolved) const {
  if (slot_keys_.contains(key.str())) return false;  // it holds a slot (a carried key, or compiled)
  const bool exact = resolved && std::ranges::find(resolved->layers, PolicyLayer::exact) != resolved->layers.end();
  return slot_keys_.size() >= options.max_keys && !exact;
}

std::optional<CircuitState> ExecutorState::circuit_state_of(const Key& key) const {
  const auto state_of = [](const CompiledPolicy& p) -> std::optional<CircuitState> {
    if (p.breaker == nullptr) return std::nullopt;
    return p.breaker->state();
  };
  MutexLock lock(mutex_);
  if (const auto it = by_key_.find(key.str()); it != by_key_.end()) return state_of(*it->second);
  const std::optional<ResolvedPolicy> resolved = ask_provider(key);
  // A key that would be past the limit shares its layer's policy, and that breaker, if any.
  if (past_key_limit(key, resolved)) {
    const auto shared = over_limit_.find(resolved ? resolved->policy.id : std::string());
    if (shared != over_limit_.end()) return state_of(*shared->second);
  }
  if (!resolved || !resolved->policy.circuit.enabled) return std::nullopt;
  // Compiled on the key's first call, with the breaker it carries or one born closed.
  if (const auto it = carried_.breakers.find(key.str());
      it != carried_.breakers.end() && CircuitBreaker::carries_over(it->second->policy(), resolved->policy.circuit))
    return it->second->state();
  return CircuitState::closed;
}

const CompiledPolicy* ExecutorState::compile_locked(const Key& key) {
  if (const auto it = by_key_.find(key.str()); it != by_key_.end()) return it->second;
  std::optional<ResolvedPolicy> resolved = ask_provider(key);
  if (past_key_limit(key, resolved)) return over_limit_policy(key, std::move(resolved));
  std::unique_ptr<CompiledPolicy> compiled = compile(key, std::move(resolved));
  // A carried key keeps its number; a new one takes the next (numbers are never given back).
  compiled->key_slot = slot_numbers->number_of(compiled->key);
  const CompiledPolicy* policy = compiled_.emplace_back(std::move(compiled)).get();
  by_key_.emplace(policy->key, policy);
  slot_keys_.insert(policy->key);
  return policy;
}

// One shared policy per layer ("payments.*", "defaults", "builtin"; "" when the provider had
// none): what every key of that layer gets, so past the limit a key loses only what its own
// exact entry would have said — and it has none. Bounded by the configured layers.
const CompiledPolicy* ExecutorState::over_limit_policy(const Key& key, std::optional<ResolvedPolicy> resolved) {
  const std::string layer = resolved ? resolved->policy.id : std::string();
  auto it = over_limit_.find(layer);
  if (it == over_limit_.end()) {
    auto shared = compile(key, std::move(resolved));
    shared->key.clear();
    shared->cardinality_limited = true;
    shared->fast_classifier = nullptr;
    shared->timed_classifier = nullptr;
    shared->watched_classifier = nullptr;
    it = over_limit_.emplace(layer, std::move(shared)).first;
  }
  return it->second.get();
}

std::unique_ptr<CompiledPolicy> ExecutorState::compile(const Key& key, std::optional<ResolvedPolicy> resolved) const {
  auto c = std::make_unique<CompiledPolicy>();
  c->key = key.str();
  if (!resolved) {
    static const PolicyTable no_layers;
    resolved = resolve(no_layers, key);
    switch (options.missing.policy) {
      case MissingMode::deny:
        c->refusal = reason::no_policy;
        c->modes_used.push_back("policy:deny");
        break;
      case MissingMode::fallback: c->modes_used.push_back("policy:fallback"); break;
      case MissingMode::allow:
        c->single_attempt = true;
        c->modes_used.push_back("policy:allow");
        break;
    }
  }
  c->resolved = std::move(*resolved);
  const RetryPolicy& retry = c->resolved.policy.retry;

  c->classifier = options.classifiers.find(retry.classifier);
  if (c->classifier == nullptr) {
    switch (options.missing.classifier) {
      case MissingMode::deny:
        if (c->refusal.empty()) c->refusal = reason::classifier_not_found;
        c->classifier = default_classifier;
        c->modes_used.push_back("classifier:deny");
        break;
      case MissingMode::fallback:
        c->classifier = default_classifier;
        c->classifier_fallback = true;
        c->modes_used.push_back("classifier:fallback");
        break;
      case MissingMode::allow:
        c->classifier = options.classifiers.find(builtin::never);
        c->modes_used.push_back("classifier:allow");
        break;
    }
  }

  const BackoffStrategy* strategy = options.backoffs.find(retry.backoff);
  if (strategy == nullptr) {
    strategy = options.backoffs.find(builtin::exponential);
    c->modes_used.push_back("backoff:fallback");
  }
  c->backoff.emplace(*strategy, retry.jitter, random);

  const bool allow_missing = options.missing.budget == MissingMode::allow;
  if (!retry.budget.name.empty())
    c->retry_gate = BudgetGate(find_budget(retry.budget.name, c->modes_used), retry.budget.name, allow_missing,
                               retry.budget.cost, false);
  const HedgePolicy& hedge = c->resolved.policy.hedge;
  c->hedging = hedge.enabled && !c->single_attempt;
  if (c->hedging) {
    if (!hedge.budget.name.empty())
      c->hedge_gate = BudgetGate(find_budget(hedge.budget.name, c->modes_used), hedge.budget.name, allow_missing,
                                 hedge.budget.cost, true);
    if (hedge.trigger != HedgeTriggerKind::fixed) c->latencies = carried_latencies(key, hedge);
    if (hedge.trigger == HedgeTriggerKind::custom) {
      c->trigger = options.triggers.find(hedge.trigger_name);
      if (c->trigger == nullptr) c->modes_used.push_back("trigger:missing");  // no hedges
    }
  }
  c->timed = retry.per_attempt_timeout > Duration::zero() || retry.overall_timeout > Duration::zero() || c->hedging;
  c->policy_id = c->resolved.policy.id;
  c->clock = &clock;
  if (c->resolved.policy.circuit.enabled) {
    c->owned_breaker = carried_breaker(key, c->resolved.policy.circuit);
    c->breaker = c->owned_breaker.get();
  }
  // Timeouts keep the fast path (attempt 0 inline under its deadline); a hedge race does not.
  // Observers and a caller's Timeline keep it too, told of a success out of line (watched_first).
  const bool plain = !c->hedging && c->refusal.empty() && !c->retry_gate.named() && !c->cardinality_limited &&
                     options.inline_first_attempt;
  if (plain) {
    c->watched = roster.watches_calls();
    c->watched_start = roster.wants(ObserverEvent::start);
    c->watched_times = roster.wants(ObserverEvent::times);
    if (c->timed) {
      c->timed_classifier = c->classifier;
      c->per_attempt_timeout = retry.per_attempt_timeout;
      c->overall_timeout = retry.overall_timeout;
    } else {
      c->watched_classifier = c->classifier;
      if (!c->watched) c->fast_classifier = c->classifier;
    }
  }
  c->plain_value_succeeds = dynamic_cast<const AlwaysClassifier*>(c->classifier) != nullptr ||
                            dynamic_cast<const NeverClassifier*>(c->classifier) != nullptr;
  return c;
}

// The key's breaker: the carried one itself when its policy is unchanged (calls of the old
// generation still running count in it), one seeded from it when the thresholds changed but
// kind and window type did not, or a fresh one.
std::shared_ptr<CircuitBreaker> ExecutorState::carried_breaker(const Key& key, const CircuitPolicy& policy) const {
  const auto it = carried_.breakers.find(key.str());
  if (carried_.clock_changed || it == carried_.breakers.end() ||
      !CircuitBreaker::carries_over(it->second->policy(), policy))
    return std::make_shared<CircuitBreaker>(policy);
  if (it->second->policy() == policy) return it->second;
  return std::make_shared<CircuitBreaker>(policy, *it->second);
}

std::shared_ptr<LatencyTracker> ExecutorState::carried_latencies(const Key& key, const HedgePolicy& hedge) const {
  const auto minimum = static_cast<std::size_t>(hedge.min_samples);
  const auto it = carried_.latencies.find(key.str());
  if (it == carried_.latencies.end()) return std::make_shared<LatencyTracker>(minimum);
  if (it->second->minimum_samples() == std::clamp<std::size_t>(minimum, 1, LatencyTracker::capacity)) return it->second;
  return std::make_shared<LatencyTracker>(minimum, *it->second);
}

// Null: named but not registered, and not replaced (MissingModes::budget deny or allow).
Budget* ExecutorState::find_budget(std::string_view name, std::vector<std::string_view>& modes_used) const {
  if (Budget* budget = options.budgets.find(name)) return budget;
  switch (options.missing.budget) {
    case MissingMode::deny: modes_used.push_back("budget:deny"); return nullptr;
    case MissingMode::fallback:
      modes_used.push_back("budget:fallback");
      return options.budgets.find(builtin::unlimited);
    case MissingMode::allow: modes_used.push_back("budget:allow"); return nullptr;
  }
  return nullptr;
}

}  // namespace recourse::detail
