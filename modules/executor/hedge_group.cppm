// recourse.executor:hedge_group — one group of a hedged call: the primary attempt on the
// caller's thread, up to three hedges on the executor's pool, each started by a clock timer
// (k × delay after the group began, or k × the key's latency percentile), racing.
//
// The rules (docs/executor.md "Hedging"): the first success wins and the others are stopped
// (hedge_cancel events; their late results are recorded as hedge_cancelled and decide
// nothing). If every attempt fails, the group comes to its most severe outcome (abort >
// non_retryable > retryable), so a late retryable failure never masks a terminal one; with
// cancel_on_first_terminal a terminal outcome decides at once. A hedge its budget denies, or
// that finds the pool full, is not started and fails nothing. A group is over when it is
// decided or nothing of it runs; it then cancels its spawn timers, withdraws hedges no thread
// has picked up, and waits for the ones running — nothing of it outlives run().
//
// One mutex serializes every decision of the group (judging, recording, observer events), so
// the timeline is in the order attempts ended and observers see one event at a time.
module;
#include "recourse/export.h"
#include "recourse/mutex.h"

#include <array>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string_view>

export module recourse.executor:hedge_group;

import recourse.plugin;
import :call_state;
import :hedge_pool;
import :work_accounting;
import :budget_gate;

namespace recourse::detail {

inline constexpr int max_group_size = 4;  // the primary and limits::max_hedges hedges

// Runs the operation for `slot`'s attempt and returns the view of its result (a template
// instantiation in :call does the invoking; the group only knows this pointer).
using InvokeSlot = AttemptView& (*)(void* context, const Attempt& attempt, int slot);

class RECOURSE_API HedgeGroup {
 public:
  struct Result {
    Verdict verdict;
    int slot;  // whose result decided: the winner, or the most severe failure
  };

  HedgeGroup(CallState& call, InvokeSlot invoke, void* context) noexcept;
  ~HedgeGroup();
  HedgeGroup(const HedgeGroup&) = delete;
  HedgeGroup& operator=(const HedgeGroup&) = delete;

  Result run();

 private:
  enum class SlotState : std::uint8_t { idle, queued, running, done };
  struct Slot : PoolTask {
    HedgeGroup* group = nullptr;
    int index = 0;  // 0: the primary
    SlotState state = SlotState::idle;
    Attempt attempt;
    TimePoint start{};
    AttemptControl control;
    bool stopped_by_group = false;  // a loser: its late result is recorded as cancelled
    BudgetReservation reservation;  // the hedge budget's, while the hedge runs
    std::string_view budget_reason;
    Outcome outcome;
    AttemptView* view = nullptr;  // its result, once judged
  };

  // The losers a decision stops: requested after the group's lock is let go, since a stop
  // callback of the operation's may do anything.
  struct StopList {
    std::array<std::stop_source, max_group_size> sources{
        std::stop_source(std::nostopstate), std::stop_source(std::nostopstate), std::stop_source(std::nostopstate),
        std::stop_source(std::nostopstate)};
    int size = 0;
    inline void request_all() noexcept {
      for (int i = 0; i < size; ++i) sources[static_cast<std::size_t>(i)].request_stop();
    }
  };

  // When hedge k starts (k × this after the group began); nullopt: no hedges in this group.
  std::optional<Duration> planned_delay() const noexcept;
  std::optional<Duration> custom_delay() const noexcept;
  static void run_pooled(PoolTask& task) noexcept;
  void spawn(int index) noexcept;  // a spawn timer fired
  void run_hedge(Slot& slot) noexcept;
  // Under the lock: the slot's attempt begins.
  void start_locked(Slot& slot, TimePoint now, std::string_view budget_reason) RECOURSE_REQUIRES(mutex_);
  void finish(Slot& slot, AttemptView& view) noexcept;
  // Under the lock: `slot` decides the group; the others running are stopped.
  void decide_locked(int slot, StopList& losers) RECOURSE_REQUIRES(mutex_);
  void unrun_locked(Slot& slot) noexcept RECOURSE_REQUIRES(mutex_);  // a queued hedge that will not run after all
  void notify_locked() noexcept RECOURSE_REQUIRES(mutex_);
  // Blocks until `done`; a clock worker leaves the clock meanwhile.
  void await(bool (HedgeGroup::*done)() const noexcept);
  void close() noexcept;  // no more spawns; queued hedges withdrawn
  // Called through a member pointer (await), which the analysis does not follow: the
  // annotation documents, the callers hold the lock.
  inline bool idle_locked() const noexcept RECOURSE_REQUIRES(mutex_) { return running_ == 0; }
  inline bool over_locked() const noexcept RECOURSE_REQUIRES(mutex_) { return decided_ || running_ == 0; }
  bool ask_hedge_budget(Slot& slot, int attempt, TimePoint now);
  void release_hedge_budget(Slot& slot) noexcept;
  void hedge_event(HedgeEventKind kind, const Slot& slot, std::string_view reason);

  CallState& call_;
  Clock& clock_;
  WorkAccounting& work_;  // the clock's: a caller blocking on the group leaves it
  InvokeSlot invoke_;
  void* context_;
  Mutex mutex_;
  std::condition_variable changed_;
  // A slot's state and judgement change under the lock; its attempt is its runner's alone.
  std::array<Slot, max_group_size> slots_;
  std::array<TimerId, max_group_size> spawn_timers_{};  // the caller's thread only
  int running_ RECOURSE_GUARDED_BY(mutex_) = 0;  // slots queued or running
  bool closed_ RECOURSE_GUARDED_BY(mutex_) = false;
  bool decided_ RECOURSE_GUARDED_BY(mutex_) = false;
  int decisive_ RECOURSE_GUARDED_BY(mutex_) = -1;  // the winner, or the most severe failure so far
  // run() waits, having left the clock; a finisher holds for it
  bool caller_waiting_ RECOURSE_GUARDED_BY(mutex_) = false;
  bool held_for_caller_ RECOURSE_GUARDED_BY(mutex_) = false;
  bool (HedgeGroup::*waiting_for_)() const noexcept RECOURSE_GUARDED_BY(mutex_) = &HedgeGroup::idle_locked;
  int group_ = 0;  // retry index
};

}  // namespace recourse::detail
