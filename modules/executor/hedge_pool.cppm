// recourse.executor:hedge_pool — the bounded set of threads an executor runs hedges on.
//
// Tasks are intrusive (a hedge group owns its tasks on the caller's stack), so submitting one
// allocates nothing. A task that has not started can be withdrawn: a group that is over takes
// back the hedges still queued, so a caller never waits for work that no thread has picked up
// — the pool cannot deadlock however long the running operations block.
//
// Virtual time (WorkAccounting::hold/enter/leave): a task handed to an idle thread holds the clock until
// that thread has entered it, so no time passes between a hedge's start and its first step. A
// task that must queue behind busy threads holds nothing — otherwise time could not pass for
// the busy ones and nothing would ever finish — and a thread that finishes a task takes the
// next one without leaving the clock in between.
module;
#include "recourse/export.h"
#include "recourse/mutex.h"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <thread>
#include <vector>

export module recourse.executor:hedge_pool;

import recourse.plugin;
import :work_accounting;

namespace recourse::detail {

struct PoolTask {
  void (*run)(PoolTask& task) noexcept = nullptr;
  bool held = false;  // the clock holds for it (pool-internal)
};

class RECOURSE_API HedgePool {
 public:
  // Threads start on the first submit: an executor that never hedges has none.
  // `work`: the clock's work accounting (no_work_accounting() for a real clock).
  HedgePool(WorkAccounting& work, std::size_t threads, std::size_t queue_limit) noexcept;
  ~HedgePool();  // joins the threads; no call may be running
  HedgePool(const HedgePool&) = delete;
  HedgePool& operator=(const HedgePool&) = delete;

  // False when `queue_limit` tasks already wait: the hedge is not started.
  bool submit(PoolTask& task);
  // True when `task` was still queued: it is removed and will never run.
  bool withdraw(PoolTask& task) noexcept;

 private:
  void work(std::stop_token stop);
  PoolTask* pop_locked() noexcept RECOURSE_REQUIRES(mutex_);
  void drop_hold() noexcept;

  WorkAccounting& work_;
  std::size_t thread_count_;
  std::size_t idle_ RECOURSE_GUARDED_BY(mutex_) = 0;         // threads waiting for a task
  std::size_t held_queued_ RECOURSE_GUARDED_BY(mutex_) = 0;  // queued tasks an idle thread is about to take
  std::size_t queue_limit_;
  Mutex mutex_;
  std::condition_variable_any ready_;
  std::deque<PoolTask*> queue_ RECOURSE_GUARDED_BY(mutex_);
  std::vector<std::jthread> threads_ RECOURSE_GUARDED_BY(mutex_);  // started by the first submit
};

}  // namespace recourse::detail
