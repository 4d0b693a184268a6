// BudgetGate: ask and release, with the reasons of docs/reason-codes.md (see budget_gate.cppm).
module;
#include <cstdint>
#include <string_view>

module recourse.executor;

namespace recourse::detail {

BudgetGate::BudgetGate(Budget* budget, std::string_view name, bool allow_missing, int cost, bool for_hedges) noexcept
    : budget_(budget), name_(name), allow_missing_(allow_missing), cost_(cost), for_hedges_(for_hedges) {}

BudgetAnswer BudgetGate::ask(std::string_view key, int attempt, TimePoint now, BudgetReservation& reservation) const {
  if (!named()) return {true, reason::no_budget};
  if (budget_ == nullptr) return {allow_missing_, reason::budget_not_found};
  const BudgetRequest request{key, for_hedges_, attempt, cost_, now};
  BudgetDecision decision;
  try {
    decision = budget_->acquire(request);
  } catch (...) {
    return {false, reason::budget_error};
  }
  // Held before anything else can fail: a grant is released exactly once, whatever follows.
  if (decision.allowed) reservation = BudgetReservation{true, false, attempt, decision.token};
  const std::string_view fallback = decision.allowed ? reason::allowed : reason::budget_denied;
  if (decision.reason.empty()) return {decision.allowed, fallback};
  try {
    return {decision.allowed, intern_reason(decision.reason)};  // the backend's own code outlives its plugin
  } catch (...) {
    return {decision.allowed, fallback};
  }
}

void BudgetGate::release(std::string_view key, BudgetReservation& reservation) const noexcept {
  if (!reservation.held) return;
  reservation.held = false;
  BudgetRequest request{key, for_hedges_, reservation.attempt, cost_, TimePoint{}};
  request.unused = reservation.unused;
  try {
    budget_->release(request, reservation.token);
  } catch (...) {
    // A budget's failure to take a reservation back must not fail the call it admitted.
  }
}

}  // namespace recourse::detail
