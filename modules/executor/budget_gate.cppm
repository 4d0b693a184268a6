// recourse.executor:budget_gate — the budget protocol, once: a call asks the budget a policy
// names before a retry or a hedge, and hands back exactly once what it was granted. The retry
// loop (CallState) and the hedge group both go through it, so they cannot drift apart on
// reasons, on what a missing budget means, or on a budget that throws.
module;
#include "recourse/export.h"

#include <cstdint>
#include <string_view>

export module recourse.executor:budget_gate;

import recourse.plugin;

namespace recourse::detail {

// What a granted ask holds until release(). One per attempt that may hold a reservation.
struct BudgetReservation {
  bool held = false;
  bool unused = false;  // the attempt it admitted never ran (abandoned during the backoff)
  int attempt = 0;      // the attempt it admits
  std::uint64_t token = 0;
};

struct BudgetAnswer {
  bool allowed = true;
  // no_budget, budget_not_found, allowed, budget_denied, budget_error, or the backend's own
  // code — interned, so it outlives a plugin that is unloaded later.
  std::string_view reason;
};

// One budget as a policy names it, for retries or for hedges. Immutable after compilation.
class RECOURSE_API BudgetGate {
 public:
  BudgetGate() = default;  // no budget named: every ask is allowed (no_budget)
  // `budget` null with a name: it is not registered, and `allow_missing` decides (MissingModes).
  BudgetGate(Budget* budget, std::string_view name, bool allow_missing, int cost, bool for_hedges) noexcept;

  inline bool named() const noexcept { return !name_.empty(); }
  inline std::string_view name() const noexcept { return name_; }
  inline Budget* budget() const noexcept { return budget_; }

  // Before attempt `attempt`: acquire(); a grant is held in `reservation` (which must hold
  // nothing then). A budget that throws
  // denies (budget_error).
  BudgetAnswer ask(std::string_view key, int attempt, TimePoint now, BudgetReservation& reservation) const;
  // Gives a held reservation back, once; nothing otherwise. A throwing release is contained.
  void release(std::string_view key, BudgetReservation& reservation) const noexcept;

 private:
  Budget* budget_ = nullptr;
  std::string_view name_;
  bool allow_missing_ = false;
  int cost_ = 1;
  bool for_hedges_ = false;
};

}  // namespace recourse::detail
