// recourse.plugin:clock — injected time and randomness. Nothing in the core reads the system
// clock or a random device directly: tests and the simulator substitute a virtual clock and a
// pinned random source and get identical, instant runs.
module;
#include "recourse/export.h"

#include <cstdint>
#include <functional>
#include <stop_token>

export module recourse.plugin:clock;

import recourse.policy;
import :attempt;

export namespace recourse {

using TimerId = std::uint64_t;

class RECOURSE_API Clock {
 public:
  virtual ~Clock();
  virtual TimePoint now() const noexcept = 0;
  // Blocks until `until` or until `stop` is requested, whichever is first. Returns true when
  // the time was reached, false when stopped.
  virtual bool sleep_until(TimePoint until, std::stop_token stop) = 0;
  // Calls `fire` once at `when`. Timers are how deadlines become stop requests.
  virtual TimerId schedule(TimePoint when, std::function<void()> fire) = 0;
  // After cancel returns, the timer's callback is not running and never will.
  virtual void cancel(TimerId id) noexcept = 0;

  // Work accounting, for clocks whose time may pass only while every thread working for calls
  // waits on them (VirtualClock with hedged attempts running concurrently). Real clocks ignore
  // it (these defaults). The executor brackets the threads that run hedges; a caller driving
  // a virtual clock from several threads brackets its own (ClockWorkScope).
  //
  // A worker is about to begin on another thread: time must not pass until it has (enter(true)
  // there takes the hold over).
  virtual void hold() noexcept;
  // The calling thread works for calls from now on; `held`: it takes over a hold().
  virtual void enter(bool held) noexcept;
  // The calling thread stops working (it is about to block on something other than the clock,
  // or it is done).
  virtual void leave() noexcept;
  // The calling thread is a worker of this clock.
  virtual bool entered() const noexcept;
};

// The calling thread works for calls on `clock` while this lives.
class ClockWorkScope {
 public:
  inline explicit ClockWorkScope(Clock& clock) noexcept : clock_(clock) { clock_.enter(false); }
  inline ~ClockWorkScope() { clock_.leave(); }
  ClockWorkScope(const ClockWorkScope&) = delete;
  ClockWorkScope& operator=(const ClockWorkScope&) = delete;

 private:
  Clock& clock_;
};

class RECOURSE_API RandomSource {
 public:
  virtual ~RandomSource();
  // Uniform in [0, 1). Thread-safe.
  virtual double next_unit() noexcept = 0;
};

}  // namespace recourse
