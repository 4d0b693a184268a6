// A library's client: it takes the Executor it runs on from its caller and never touches the
// process-wide runtime, so a program may run it on the facade's executor or on one of its own.
#pragma once

#include <string>

namespace recourse {
class Executor;
}

namespace checkout {

struct Reservation {
  bool reserved = false;
  int attempts = 0;
  std::string reason;  // why it failed: a reason code
};

// Reserves `item` from a stock service that refuses the first `busy_answers` requests.
Reservation reserve(recourse::Executor& executor, const std::string& item, int busy_answers);

}  // namespace checkout
