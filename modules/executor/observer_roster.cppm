// recourse.executor:observer_roster — a generation's observers, listed by the events each wants
// (SelectiveObserver::events). A call asks `wants` before it builds what an event carries, so
// an observer that only counts attempts costs the call no timeline and no clock read.
module;
#include <array>
#include <bit>
#include <cstddef>
#include <memory>
#include <vector>

export module recourse.executor:observer_roster;

import recourse.plugin;

namespace recourse::detail {

class ObserverRoster {
 public:
  explicit ObserverRoster(const std::vector<std::shared_ptr<Observer>>& observers);

  // Some observer wants `event` (for `timeline` and `times`: wants what they add).
  inline bool wants(ObserverEvent event) const noexcept { return wanted_.has(event); }
  // Some observer wants to hear of calls as they run: else a call may take the inline fast
  // path, which tells no one (cardinality and configuration events do not come from calls).
  inline bool watches_calls() const noexcept {
    constexpr ObserverEvents per_call = ObserverEvent::start | ObserverEvent::attempt | ObserverEvent::budget_decision |
                                        ObserverEvent::outcome | ObserverEvent::circuit_transition |
                                        ObserverEvent::hedge;
    return (wanted_.bits() & per_call.bits()) != 0;
  }
  // The observers told of `event`, in their configured order.
  inline const std::vector<Observer*>& of(ObserverEvent event) const noexcept {
    return told_[static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(event)))];
  }

 private:
  ObserverEvents wanted_;
  std::array<std::vector<Observer*>, observer_event_count> told_;
};

}  // namespace recourse::detail
