// ExecutorState: components with their defaults, and compilation of a key's policy into the
// immutable CompiledPolicy the hot path reads (see executor_state.cppm).
module;
#include "recourse/mutex.h"

#include <chrono>
#include <cstdint>
#include <algorithm>
#include <functional>
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

ExecutorOptions with_defaults(ExecutorOptions options) {
  if (!options.provider) options.provider = std::make_shared<BuiltinPolicyProvider>();
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

ExecutorState::ExecutorState(ExecutorOptions opts)
    : options(with_defaults(std::move(opts))),
      observers(options.observers),
      clock(*options.clock),
      work(work_accounting_of(clock)),
      random(*options.random),
      default_classifier(options.classifiers.find(options.default_classifier)),
      indexes(options.max_keys * 4),
      hedge_pool(work, options.hedge_threads, options.hedge_queue) {
  if (default_classifier == nullptr) default_classifier = options.classifiers.find(builtin::always);
}

// Both lookups share one shape: under the lock, take what a racing call published or compile
// it, publish it unless the key is past the limit, and report an over-limit key once — after
// unlocking, since an observer may call back into the executor.
template <class Find, class Publish>
const CompiledPolicy* ExecutorState::compile_once(const Key& key, Find find_published, Publish publish) {
  const CompiledPolicy* policy;
  bool report = false;
  bool report_full = false;
  {
    MutexLock lock(mutex_);
    if (const CompiledPolicy* raced = find_published()) return raced;
    policy = compile_locked(key);
    if (!policy->cardinality_limited) {
      publish(policy);
    } else {
      over_limit_calls.fetch_add(1, std::memory_order_relaxed);
      if (reported_over_limit_.size() < options.max_keys * 10) {
        report = reported_over_limit_.insert(key.str()).second;
        report_full = report && reported_over_limit_.size() == options.max_keys * 10;
      }
    }
  }
  if (report) report_over_limit(key.str(), policy->resolved.policy.id, report_full);
  return policy;
}

// Observers hear of each key once; without observers the logger does, so an overflow is
// never silent (and the counter is there either way).
void ExecutorState::report_over_limit(std::string_view key, std::string_view layer, bool last) noexcept {
  if (!observers.empty()) {
    notify([&](Observer& o) { o.on_cardinality_exceeded(key); });
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
bool ExecutorState::past_key_limit(const std::optional<ResolvedPolicy>& resolved) const {
  const bool exact = resolved && std::ranges::find(resolved->layers, PolicyLayer::exact) != resolved->layers.end();
  return by_key_.size() >= options.max_keys && !exact;
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
  if (past_key_limit(resolved)) {
    const auto shared = over_limit_.find(resolved ? resolved->policy.id : std::string());
    if (shared != over_limit_.end()) return state_of(*shared->second);
  }
  if (!resolved || !resolved->policy.circuit.enabled) return std::nullopt;
  return CircuitState::closed;  // compiled on the key's first call, with a breaker born closed
}

const CompiledPolicy* ExecutorState::compile_locked(const Key& key) {
  if (const auto it = by_key_.find(key.str()); it != by_key_.end()) return it->second;
  std::optional<ResolvedPolicy> resolved = ask_provider(key);
  if (past_key_limit(resolved)) return over_limit_policy(key, std::move(resolved));
  const CompiledPolicy* policy = compiled_.emplace_back(compile(key, std::move(resolved))).get();
  by_key_.emplace(policy->key, policy);
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
    if (hedge.trigger != HedgeTriggerKind::fixed)
      c->latencies = std::make_unique<LatencyTracker>(static_cast<std::size_t>(hedge.min_samples));
    if (hedge.trigger == HedgeTriggerKind::custom) {
      c->trigger = options.triggers.find(hedge.trigger_name);
      if (c->trigger == nullptr) c->modes_used.push_back("trigger:missing");  // no hedges
    }
  }
  c->timed = retry.per_attempt_timeout > Duration::zero() || retry.overall_timeout > Duration::zero() || c->hedging;
  c->policy_id = c->resolved.policy.id;
  if (c->resolved.policy.circuit.enabled) {
    c->owned_breaker = std::make_unique<CircuitBreaker>(c->resolved.policy.circuit);
    c->breaker = c->owned_breaker.get();
    c->clock = &clock;
  }
  const bool plain =
      !c->timed && c->refusal.empty() && !c->retry_gate.named() && !c->cardinality_limited && observers.empty();
  if (plain) c->fast_classifier = c->classifier;
  c->plain_value_succeeds = dynamic_cast<const AlwaysClassifier*>(c->classifier) != nullptr ||
                            dynamic_cast<const NeverClassifier*>(c->classifier) != nullptr;
  return c;
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
