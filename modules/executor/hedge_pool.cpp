// HedgePool: a fixed set of threads over one queue (see hedge_pool.cppm).
module;
#include "recourse/mutex.h"

#include <algorithm>
#include <cstddef>
#include <deque>
#include <stop_token>
#include <thread>
#include <vector>

module recourse.executor;

namespace recourse::detail {

HedgePool::HedgePool(WorkAccounting& work, std::size_t threads, std::size_t queue_limit) noexcept
    : work_(work),
      thread_count_(std::max<std::size_t>(threads, 1)),
      queue_limit_(std::max<std::size_t>(queue_limit, 1)) {}

HedgePool::~HedgePool() {
  for (auto& thread : threads_) thread.request_stop();
  ready_.notify_all();
  threads_.clear();  // joins
}

bool HedgePool::submit(PoolTask& task) {
  {
    MutexLock lock(mutex_);
    if (queue_.size() >= queue_limit_) return false;
    if (threads_.empty()) {
      threads_.reserve(thread_count_);
      for (std::size_t i = 0; i < thread_count_; ++i)
        threads_.emplace_back([this](std::stop_token stop) { work(stop); });
      idle_ = thread_count_;  // counted as idle from the start: they will be, or already are
    }
    task.held = idle_ > held_queued_;
    if (task.held) {
      ++held_queued_;
      work_.hold();
    }
    queue_.push_back(&task);
  }
  ready_.notify_one();
  return true;
}

bool HedgePool::withdraw(PoolTask& task) noexcept {
  bool held;
  {
    MutexLock lock(mutex_);
    const auto it = std::find(queue_.begin(), queue_.end(), &task);
    if (it == queue_.end()) return false;
    queue_.erase(it);
    held = task.held;
    if (held) --held_queued_;
  }
  if (held) drop_hold();
  return true;
}

// Gives back a hold the clock keeps for a task, from any thread: entering with it and leaving
// drops it (a worker's nested enter only drops the surplus).
void HedgePool::drop_hold() noexcept {
  work_.enter(true);
  work_.leave();
}

PoolTask* HedgePool::pop_locked() noexcept {
  if (queue_.empty()) return nullptr;
  PoolTask* task = queue_.front();
  queue_.pop_front();
  if (task->held) --held_queued_;
  return task;
}

void HedgePool::work(std::stop_token stop) {
  for (;;) {
    PoolTask* task;
    {
      UniqueLock lock(mutex_);
      // The predicate runs with the lock held, which the analysis cannot see through the wait.
      if (!ready_.wait(lock.native(), stop, [&]() RECOURSE_NO_THREAD_SAFETY_ANALYSIS { return !queue_.empty(); }))
        return;
      task = pop_locked();
      --idle_;
    }
    work_.enter(task->held);
    while (task != nullptr) {
      task->run(*task);  // the task may be gone when this returns: it is not touched again
      {
        MutexLock lock(mutex_);
        task = pop_locked();
        // Still entered: a task held for an idle thread is taken over, its hold surplus.
        if (task != nullptr && task->held) drop_hold();
      }
      // The task just run may have woken its caller, which now runs too: the next starts only
      // once every worker that can run has come to wait. Otherwise the two would draw on
      // shared state (a budget, the simulator's dependency) in whatever order the OS picks,
      // and a virtual-time run would not repeat itself.
      if (task != nullptr) work_.yield();
    }
    {
      MutexLock lock(mutex_);
      ++idle_;
    }
    work_.leave();
  }
}

}  // namespace recourse::detail
