// recourse.host.simulate:run_observer (internal) — what a variant's run learns from observer
// events rather than from the calls themselves: budget denials, hedges spawned and won, and
// when the key's breaker changed state (virtual seconds since the run began).
module;
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

module recourse.host.simulate:run_observer;

import recourse.core;

namespace recourse::host::simulate {

class RunObserver final : public SelectiveObserver {
 public:
  RunObserver(Clock& clock, TimePoint origin) : clock_(clock), origin_(origin) {}

  // A hedge's win is read from the timeline; no event needs its times.
  ObserverEvents events() const noexcept override {
    return ObserverEvent::budget_decision | ObserverEvent::hedge | ObserverEvent::timeline |
           ObserverEvent::circuit_transition;
  }

  void on_budget_decision(const CallInfo&, const BudgetEvent& event) override {
    if (!event.allowed) budget_denials.fetch_add(1, std::memory_order_relaxed);
  }
  void on_hedge(const CallInfo&, const HedgeEvent& event) override {
    if (event.kind == HedgeEventKind::spawned) hedges_spawned.fetch_add(1, std::memory_order_relaxed);
  }
  void on_success(const CallInfo&, const Timeline& timeline) override {
    for (const AttemptRecord& a : timeline.attempts) {
      if (a.kind != OutcomeKind::success) continue;
      if (a.is_hedge) hedges_won.fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  void on_circuit_transition(const CallInfo&, CircuitTransition transition) override {
    const double at = std::chrono::duration<double>(clock_.now() - origin_).count();
    std::lock_guard lock(mutex_);
    transitions_.emplace_back(at, transition.to);
  }

  std::vector<std::pair<double, CircuitState>> transitions() const {
    std::lock_guard lock(mutex_);
    return transitions_;
  }

  std::atomic<std::uint64_t> budget_denials{0};
  std::atomic<std::uint64_t> hedges_spawned{0};
  std::atomic<std::uint64_t> hedges_won{0};

 private:
  Clock& clock_;
  const TimePoint origin_;
  mutable std::mutex mutex_;
  std::vector<std::pair<double, CircuitState>> transitions_;
};

}  // namespace recourse::host::simulate
