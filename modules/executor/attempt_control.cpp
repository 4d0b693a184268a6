// AttemptControl (see call_state.cppm): one attempt's stop source, the caller's stop forwarded
// into it, and the deadline timer that stops it and records when it did.
module;
#include <atomic>
#include <optional>
#include <stop_token>

module recourse.executor;

namespace recourse::detail {
namespace {

// std::stop_source allocates its shared state; a source no one stopped is as good as new. So,
// as Polly v8 pools its CancellationTokenSources (.NET's TryReset succeeds only on an
// uncancelled source), the thread's last unstopped source serves its next attempt: one
// allocation per thread, not per attempt. The contract that allows it (docs/executor.md): an
// attempt's token is valid while the attempt runs; an operation must not keep it, or a stop
// callback on it, past its return. A source goes back only once nothing else can stop it: its
// timer cancelled (waiting for a firing one), its forwarding from the caller's token removed
// (waiting for a running one), and no hedge group holding a copy (Sources::fresh).
// The token goes with it, so an attempt lent it (arm_and_lend) touches no reference count.
struct SpareSource {
  std::optional<std::stop_source> source;
  std::stop_token token;
};
[[gnu::tls_model("initial-exec")]] thread_local SpareSource spare;

}  // namespace

AttemptControl::~AttemptControl() { disarm(); }

std::stop_token AttemptControl::arm(Clock& clock, const std::stop_token& caller, TimePoint deadline) {
  std::stop_token token;
  arm_and_lend(clock, caller, deadline, token);
  std::stop_token copy = token;
  take_back(token);
  return copy;
}

void AttemptControl::arm_and_lend(Clock& clock, const std::stop_token& caller, TimePoint deadline,
                                  std::stop_token& to) {
  disarm();
  stop_.reset();  // a stopped one: it cannot be reset
  token_ = {};
  if (recycles_ && spare.source && !spare.source->stop_requested()) {
    stop_.swap(spare.source);
    token_.swap(spare.token);
  } else {
    stop_.emplace();
  }
  if (!token_.stop_possible()) token_ = stop_->get_token();  // a new source (or its token lost)
  if (caller.stop_possible()) forward_.emplace(caller, ForwardStop{&*stop_});
  stopped_at_.store(Duration::max().count(), std::memory_order_relaxed);
  if (deadline != TimePoint::max()) {
    clock_ = &clock;
    // Only `this`: a callable that small is stored inside std::function, without allocating.
    // disarm() cancels the timer (waiting for a firing one) before this control changes.
    timer_ = clock.schedule(deadline, [this] { deadline_passed(); });
  }
  to = std::move(token_);
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
  if (recycles_ && stop_ && !stop_->stop_requested()) {
    spare.source = std::move(stop_);
    spare.token = std::move(token_);
    stop_.reset();
  }
}

}  // namespace recourse::detail
