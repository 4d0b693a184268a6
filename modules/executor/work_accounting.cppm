// recourse.executor:work_accounting — how a virtual clock knows when time may move: only while
// every thread working for calls waits on it. Core-internal: VirtualClock implements it, the
// hedge pool and hedge groups bracket their threads and waits with it, and a test or the
// simulator that drives a virtual clock from several threads brackets its own with
// ClockWorkScope. Plugins see none of it (the Clock they get is only time); a real clock needs
// none of it (no_work_accounting()).
module;
#include "recourse/export.h"

export module recourse.executor:work_accounting;

namespace recourse::detail {

class RECOURSE_API WorkAccounting {
 public:
  virtual ~WorkAccounting();
  // A worker is about to begin on another thread: time must not pass until it has (enter(true)
  // there takes the hold over).
  virtual void hold() noexcept = 0;
  // The calling thread works for calls from now on; `held`: it takes over a hold().
  virtual void enter(bool held) noexcept = 0;
  // The calling thread stops working (it is about to block on something other than the clock,
  // or it is done).
  virtual void leave() noexcept = 0;
  // The calling thread is a worker here.
  virtual bool entered() const noexcept = 0;
  // The calling worker lets every other worker that can run now go first: it returns once all
  // of them wait, after those woken or yielding before it. What keeps two workers from acting
  // on shared state at the same instant in an order the OS picks. Not a worker: returns at once.
  virtual void yield() noexcept = 0;
};

// For clocks whose time passes by itself: every call does nothing.
RECOURSE_API WorkAccounting& no_work_accounting() noexcept;

}  // namespace recourse::detail
