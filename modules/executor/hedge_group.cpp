// HedgeGroup: one primary and its hedges, racing (see hedge_group.cppm for the rules).
//
// Threads and the clock: the caller runs the primary; spawn timers fire on the clock's thread
// (or, on a VirtualClock, on whichever worker advances time) and hand hedges to the pool. A
// hedge holds the clock from the moment it is queued (WorkAccounting::hold) until its thread has
// entered, and a worker that blocks on the group leaves the clock, with whoever wakes it
// holding for it — so virtual time never passes an attempt that is about to run.
module;
#include "recourse/mutex.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string_view>
#include <utility>

module recourse.executor;

import :state;

namespace recourse::detail {
namespace {

// abort > non_retryable > retryable: the outcome a failed group comes to.
int severity(OutcomeKind kind) noexcept {
  switch (kind) {
    case OutcomeKind::abort: return 3;
    case OutcomeKind::non_retryable: return 2;
    case OutcomeKind::retryable: return 1;
    default: return 0;
  }
}

bool terminal(OutcomeKind kind) noexcept { return kind == OutcomeKind::abort || kind == OutcomeKind::non_retryable; }

}  // namespace

HedgeGroup::HedgeGroup(CallState& call, InvokeSlot invoke, void* context) noexcept
    : call_(call), clock_(call.executor().clock), work_(call.executor().work), invoke_(invoke), context_(context) {
  for (int i = 0; i < max_group_size; ++i) {
    Slot& slot = slots_[static_cast<std::size_t>(i)];
    slot.group = this;
    slot.index = i;
    slot.run = &HedgeGroup::run_pooled;
  }
}

HedgeGroup::~HedgeGroup() = default;

std::optional<Duration> HedgeGroup::planned_delay() const noexcept {
  const CompiledPolicy& policy = call_.policy();
  const HedgePolicy& hedge = policy.resolved.policy.hedge;
  // No hedging while the breaker is not closed: a half-open probe must be one attempt.
  if (call_.probing() || (policy.breaker != nullptr && !policy.breaker->closed())) return std::nullopt;
  double percentile = 0;
  switch (hedge.trigger) {
    case HedgeTriggerKind::fixed: return hedge.delay;
    case HedgeTriggerKind::p50: percentile = 50; break;
    case HedgeTriggerKind::p90: percentile = 90; break;
    case HedgeTriggerKind::p95: percentile = 95; break;
    case HedgeTriggerKind::p99: percentile = 99; break;
    case HedgeTriggerKind::custom: return custom_delay();
  }
  const std::optional<Duration> latency = policy.latencies->percentile(percentile);
  if (!latency) return std::nullopt;  // too few samples yet
  return std::max(*latency, Duration(1));
}

HedgeGroup::Result HedgeGroup::run() {
  const TimePoint start = clock_.now();
  group_ = call_.group_index();
  const std::optional<Duration> delay = planned_delay();
  Slot& primary = slots_[0];
  {
    MutexLock lock(mutex_);
    ++running_;
    start_locked(primary, start, call_.primary_admission());
  }
  if (delay) {
    const int hedges = call_.policy().resolved.policy.hedge.max_hedges;
    for (int k = 1; k <= hedges && k < max_group_size; ++k) {
      // Saturated: a trigger may answer with any duration, and k times it must not wrap.
      const Duration after = *delay > Duration::max() / k ? Duration::max() : k * *delay;
      const TimePoint at = saturating_add(start, after);
      if (at >= call_.overall_deadline()) break;  // it could only be stopped at once
      spawn_timers_[static_cast<std::size_t>(k)] = clock_.schedule(at, [this, k] { spawn(k); });
    }
  }
  finish(primary, invoke_(context_, primary.attempt, 0));
  await(&HedgeGroup::over_locked);
  close();
  await(&HedgeGroup::idle_locked);
  call_.release_budget();  // the retry budget's reservation admitted this group

  int decided;  // nothing runs any more; the lock only keeps the analysis honest
  {
    MutexLock lock(mutex_);
    decided = decisive_;
  }
  const Slot& decisive = slots_[static_cast<std::size_t>(decided)];
  const Verdict verdict = call_.decide(decisive.outcome, *decisive.view, clock_.now());
  return {verdict, decided};
}

void HedgeGroup::start_locked(Slot& slot, TimePoint now, std::string_view budget_reason) {
  Attempt& attempt = slot.attempt;
  attempt = call_.number_attempt(now);
  attempt.is_hedge = slot.index > 0;
  attempt.hedge_index = slot.index;
  attempt.stop = slot.control.arm(clock_, call_.caller_stop(), attempt.deadline);
  slot.start = now;
  slot.budget_reason = budget_reason;
  slot.state = SlotState::running;
}

void HedgeGroup::spawn(int index) noexcept {
  Slot& slot = slots_[static_cast<std::size_t>(index)];
  {
    MutexLock lock(mutex_);
    if (closed_) return;
    const CircuitBreaker* breaker = call_.policy().breaker;
    if (breaker != nullptr && !breaker->closed()) return;
    slot.state = SlotState::queued;
    ++running_;
    try {
      if (call_.executor().hedge_pool->submit(slot)) return;
    } catch (...) {
      // No thread could be started: as good as a full pool.
    }
    slot.state = SlotState::idle;
    --running_;
    hedge_event(HedgeEventKind::not_started, slot, reason::hedge_pool_full);
    notify_locked();
  }
}

void HedgeGroup::run_pooled(PoolTask& task) noexcept {
  Slot& slot = static_cast<Slot&>(task);
  slot.group->run_hedge(slot);  // the pool thread is a worker of the clock meanwhile
}

void HedgeGroup::run_hedge(Slot& slot) noexcept {
  int attempt;
  {
    MutexLock lock(mutex_);
    if (closed_) return unrun_locked(slot);
    attempt = call_.attempts_started();
  }
  const TimePoint now = clock_.now();
  const bool allowed = ask_hedge_budget(slot, attempt, now);  // unlocked: a remote budget may block
  bool runs;
  {
    MutexLock lock(mutex_);
    if (call_.executor().roster.wants(ObserverEvent::budget_decision)) {
      const CallInfo info = call_.info();
      const BudgetEvent event{call_.attempts_started(), true, call_.policy().hedge_gate.name(), allowed,
                              slot.budget_reason};
      call_.executor().notify(ObserverEvent::budget_decision, [&](Observer& o) { o.on_budget_decision(info, event); });
    }
    runs = allowed && !closed_;
    if (runs) {
      start_locked(slot, now, slot.budget_reason);
      slot.reservation.attempt = slot.attempt.index;  // what it admitted, asked before it was numbered
      hedge_event(HedgeEventKind::spawned, slot, {});
    }
  }
  if (!runs) {
    // Unlocked, like the ask: a remote budget may block. The slot still counts as running, so
    // the group waits for this before it ends.
    release_hedge_budget(slot);
    MutexLock lock(mutex_);
    return unrun_locked(slot);
  }
  finish(slot, invoke_(context_, slot.attempt, slot.index));
}

void HedgeGroup::unrun_locked(Slot& slot) noexcept {
  slot.state = SlotState::idle;
  --running_;
  notify_locked();
}

void HedgeGroup::finish(Slot& slot, AttemptView& view) noexcept {
  slot.control.disarm();
  release_hedge_budget(slot);
  const TimePoint end = clock_.now();
  StopList losers;
  {
    MutexLock lock(mutex_);
    slot.state = SlotState::done;
    const AttemptFacts facts{&slot.attempt, slot.start, slot.index == 0 ? call_.primary_backoff() : Duration::zero(),
                             slot.budget_reason, slot.control.stopped_at()};
    try {
      if (slot.stopped_by_group) {
        // A loser's late result decides nothing, whatever it is.
        call_.count_cancelled_hedge(facts, end);
      } else {
        slot.outcome = call_.judge(facts, view, end, nullptr);
        slot.view = &view;
        const bool ends_group =
            slot.outcome.kind == OutcomeKind::success ||
            (terminal(slot.outcome.kind) && call_.policy().resolved.policy.hedge.cancel_on_first_terminal);
        if (!decided_ && ends_group) {
          decide_locked(slot.index, losers);
        } else if (!decided_ && (decisive_ < 0 || severity(slot.outcome.kind) >
                                                      severity(slots_[static_cast<std::size_t>(decisive_)].outcome.kind))) {
          decisive_ = slot.index;
        }
      }
    } catch (...) {
      // Recording failed (out of memory): the attempt still ends; judge() is noexcept-safe in
      // what it decides, so the group goes on with what it has.
      if (decisive_ < 0) decisive_ = slot.index;
    }
    --running_;
    notify_locked();
  }
  losers.request_all();
}

void HedgeGroup::decide_locked(int index, StopList& losers) {
  decided_ = true;
  closed_ = true;
  decisive_ = index;
  for (Slot& other : slots_) {
    if (other.index == index || other.state != SlotState::running) continue;
    other.stopped_by_group = true;
    losers.sources[static_cast<std::size_t>(losers.size++)] = other.control.source();
    hedge_event(HedgeEventKind::cancelled, other, reason::hedge_cancelled);
  }
}

void HedgeGroup::notify_locked() noexcept {
  if (caller_waiting_ && !held_for_caller_ && (this->*waiting_for_)()) {
    work_.hold();  // the caller takes it over when it wakes
    held_for_caller_ = true;
  }
  changed_.notify_all();
}

void HedgeGroup::await(bool (HedgeGroup::*done)() const noexcept) {
  UniqueLock lock(mutex_);
  if ((this->*done)()) return;
  if (!work_.entered()) {
    while (!(this->*done)()) changed_.wait(lock.native());
    return;
  }
  // A worker blocking on the group is not waiting on the clock: it leaves, and whoever makes
  // `done` true holds the clock for it.
  waiting_for_ = done;
  caller_waiting_ = true;
  lock.unlock();
  work_.leave();
  lock.lock();
  while (!(this->*done)()) changed_.wait(lock.native());
  caller_waiting_ = false;
  const bool held = std::exchange(held_for_caller_, false);
  lock.unlock();
  work_.enter(held);
}

void HedgeGroup::close() noexcept {
  {
    MutexLock lock(mutex_);
    closed_ = true;
  }
  for (TimerId& timer : spawn_timers_) {
    if (timer != 0) clock_.cancel(timer);  // one firing now sees closed_
    timer = 0;
  }
  for (Slot& slot : slots_) {
    bool queued;
    {
      MutexLock lock(mutex_);
      queued = slot.state == SlotState::queued;
    }
    if (!queued || !call_.executor().hedge_pool->withdraw(slot)) continue;  // not queued, or a thread has it
    MutexLock lock(mutex_);
    unrun_locked(slot);
  }
}

bool HedgeGroup::ask_hedge_budget(Slot& slot, int attempt, TimePoint now) {
  const CompiledPolicy& policy = call_.policy();
  const BudgetAnswer answer = policy.hedge_gate.ask(policy.key, attempt, now, slot.reservation);
  slot.budget_reason = answer.reason;
  return answer.allowed;
}

void HedgeGroup::release_hedge_budget(Slot& slot) noexcept {
  call_.policy().hedge_gate.release(call_.policy().key, slot.reservation);
}

void HedgeGroup::hedge_event(HedgeEventKind kind, const Slot& slot, std::string_view why) {
  if (!call_.executor().roster.wants(ObserverEvent::hedge)) return;
  const CallInfo info = call_.info();
  const HedgeEvent event{kind,   slot.index, kind == HedgeEventKind::not_started ? -1 : slot.attempt.index,
                         group_, clock_.now(), why};
  call_.executor().notify(ObserverEvent::hedge, [&](Observer& o) { o.on_hedge(info, event); });
}

std::optional<Duration> HedgeGroup::custom_delay() const noexcept {
  const CompiledPolicy& policy = call_.policy();
  if (policy.trigger == nullptr) return std::nullopt;
  try {
    const std::optional<Duration> delay = policy.trigger->delay(
        HedgeTriggerInput{policy.key, group_, &policy.resolved.policy.hedge, policy.latencies.get()});
    if (!delay) return std::nullopt;
    return std::max(*delay, Duration(1));
  } catch (...) {
    return std::nullopt;  // a trigger that throws hedges nothing; the call goes on
  }
}

}  // namespace recourse::detail
