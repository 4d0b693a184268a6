// recourse.plugin:clock — injected time and randomness. Nothing in the core reads the system
// clock or a random device directly: tests and the simulator substitute a virtual clock and a
// pinned random source and get identical, instant runs.
module;
#include "recourse/export.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>

export module recourse.plugin:clock;

import recourse.policy;
import :attempt;

export namespace recourse {

using TimerId = std::uint64_t;
// Calendar time, for what a server says in calendar terms (an HTTP-date in Retry-After).
using WallTime = std::chrono::system_clock::time_point;

// Time as every component sees it (abseil's Clock, Envoy's TimeSource): a monotonic reading, a
// calendar reading, interruptible sleeps and one-shot timers. How a virtual clock knows when it
// may move is not here: that is the core's business (VirtualClock, and the executor's hedge
// threads), not a plugin's.
class RECOURSE_API Clock {
 public:
  virtual ~Clock();
  virtual TimePoint now() const noexcept = 0;
  // The calendar time now. Virtual clocks give a virtual calendar that moves with now().
  virtual WallTime wall_now() const noexcept = 0;
  // Blocks until `until` or until `stop` is requested, whichever is first. Returns true when
  // the time was reached, false when stopped.
  virtual bool sleep_until(TimePoint until, std::stop_token stop) = 0;
  // Calls `fire` once at `when`. Timers are how deadlines become stop requests.
  virtual TimerId schedule(TimePoint when, std::function<void()> fire) = 0;
  // After cancel returns, the timer's callback is not running and never will.
  virtual void cancel(TimerId id) noexcept = 0;
};

class RECOURSE_API RandomSource {
 public:
  virtual ~RandomSource();
  // Uniform in [0, 1). Thread-safe.
  virtual double next_unit() noexcept = 0;
};

}  // namespace recourse
