// Out-of-line members of the plugin interfaces: the vtables and typeinfo live here, once.
module;
#include <optional>
#include <cstdint>
#include <string_view>

module recourse.plugin;

namespace recourse {

Clock::~Clock() = default;
RandomSource::~RandomSource() = default;
Classifier::~Classifier() = default;
BackoffStrategy::~BackoffStrategy() = default;
Budget::~Budget() = default;
void Budget::release(const BudgetRequest&, std::uint64_t) noexcept {}
void Budget::record(std::string_view, const Outcome&, TimePoint) noexcept {}
void Budget::call_started(std::string_view, TimePoint) noexcept {}
void Budget::call_finished(std::string_view, TimePoint) noexcept {}
std::optional<double> Budget::level() noexcept { return std::nullopt; }
void Budget::carry_from(const Budget&) noexcept {}
Observer::~Observer() = default;
void Observer::on_start(const CallInfo&) {}
void Observer::on_attempt(const CallInfo&, const AttemptRecord&) {}
void Observer::on_budget_decision(const CallInfo&, const BudgetEvent&) {}
void Observer::on_success(const CallInfo&, const Timeline&) {}
void Observer::on_failure(const CallInfo&, const Timeline&) {}
void Observer::on_cardinality_exceeded(std::string_view) {}
void Observer::on_circuit_transition(const CallInfo&, CircuitTransition) {}
LatencyView::~LatencyView() = default;
HedgeTrigger::~HedgeTrigger() = default;
void Observer::on_hedge(const CallInfo&, const HedgeEvent&) {}
void Observer::on_config(const ConfigEvent&) {}
void Observer::flush() noexcept {}
SelectiveObserver::~SelectiveObserver() = default;
ObserverEvents events_of(const Observer& observer) noexcept {
  const auto* selective = dynamic_cast<const SelectiveObserver*>(&observer);
  return selective != nullptr ? selective->events() : ObserverEvents::all();
}
PolicyProvider::~PolicyProvider() = default;
PreparingPolicyProvider::~PreparingPolicyProvider() = default;

}  // namespace recourse
