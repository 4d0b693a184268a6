// AttemptControl (see call_state.cppm): one attempt's stop source, the caller's stop forwarded
// into it, and the deadline timer that stops it and records when it did.
module;
#include <atomic>
#include <optional>
#include <stop_token>

module recourse.executor;

namespace recourse::detail {

AttemptControl::~AttemptControl() { disarm(); }

std::stop_token AttemptControl::arm(Clock& clock, const std::stop_token& caller, TimePoint deadline) {
  disarm();
  stop_.emplace();
  if (caller.stop_possible()) forward_.emplace(caller, ForwardStop{&*stop_});
  stopped_at_.store(Duration::max().count(), std::memory_order_relaxed);
  if (deadline != TimePoint::max()) {
    clock_ = &clock;
    // Only `this`: a callable that small is stored inside std::function, without allocating.
    // disarm() cancels the timer (waiting for a firing one) before this control changes.
    timer_ = clock.schedule(deadline, [this] { deadline_passed(); });
  }
  return stop_->get_token();
}

void AttemptControl::deadline_passed() noexcept {
  stopped_at_.store(clock_->now().time_since_epoch().count(), std::memory_order_release);
  stop_->request_stop();
}

void AttemptControl::disarm() noexcept {
  if (timer_ != 0) {
    clock_->cancel(timer_);
    timer_ = 0;
  }
  forward_.reset();
}

}  // namespace recourse::detail
