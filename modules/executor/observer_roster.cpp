// ObserverRoster: who is told what, decided once per generation.
module;
#include <cstddef>
#include <memory>
#include <vector>

module recourse.executor;

import :observer_roster;

namespace recourse::detail {

ObserverRoster::ObserverRoster(const std::vector<std::shared_ptr<Observer>>& observers) {
  for (const auto& observer : observers) {
    ObserverEvents events = events_of(*observer);
    // The whole timeline comes with the call-end callbacks: asking for it asks for them.
    if (events.has(ObserverEvent::timeline)) events = events | ObserverEvent::outcome;
    wanted_ = wanted_ | events;
    for (std::size_t i = 0; i < observer_event_count; ++i)
      if (events.has(static_cast<ObserverEvent>(1u << i))) told_[i].push_back(observer.get());
  }
}

}  // namespace recourse::detail
