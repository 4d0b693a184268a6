// SystemClock: steady_clock time, interruptible sleeps, and one lazily started timer thread
// that turns deadlines into stop requests (see builtins.cppm).
module;
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <unordered_map>
#include <utility>

module recourse.executor;

namespace recourse {

struct SystemClock::Timers {
  std::mutex mutex;
  std::condition_variable_any wake;     // the timer thread: new earliest timer, or stop
  std::condition_variable_any settled;  // cancel(): the callback it waits for has returned
  using Queue = std::multimap<TimePoint, std::pair<TimerId, std::function<void()>>>;
  Queue queue;
  std::unordered_map<TimerId, Queue::iterator> index;  // cancel in O(1); multimap iterators are stable
  TimerId next_id = 1;
  TimerId firing = 0;
  std::thread::id thread_id;
  std::jthread thread;

  void run(std::stop_token stop) {
    std::unique_lock lock(mutex);
    while (!stop.stop_requested()) {
      if (queue.empty()) {
        wake.wait(lock, stop, [&] { return !queue.empty(); });
        continue;
      }
      const TimePoint due = queue.begin()->first;
      if (std::chrono::steady_clock::now() < due) {
        wake.wait_until(lock, stop, due, [&] { return queue.empty() || queue.begin()->first < due; });
        continue;
      }
      auto node = queue.extract(queue.begin());
      firing = node.mapped().first;
      index.erase(firing);
      lock.unlock();
      try {
        node.mapped().second();
      } catch (...) {
        // An exception leaving this thread would terminate the process; a timer has no caller
        // to report to, so it is dropped.
      }
      lock.lock();
      firing = 0;
      settled.notify_all();
    }
  }
};

SystemClock::SystemClock() : timers_(std::make_unique<Timers>()) {}

SystemClock::~SystemClock() {
  if (timers_->thread.joinable()) {
    timers_->thread.request_stop();
    timers_->thread.join();
  }
}

TimePoint SystemClock::now() const noexcept { return std::chrono::steady_clock::now(); }

bool SystemClock::sleep_until(TimePoint until, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any never_notified;
  std::unique_lock lock(mutex);
  never_notified.wait_until(lock, stop, until, [] { return false; });
  return !stop.stop_requested();
}

TimerId SystemClock::schedule(TimePoint when, std::function<void()> fire) {
  std::lock_guard lock(timers_->mutex);
  if (!timers_->thread.joinable()) {
    timers_->thread = std::jthread([t = timers_.get()](std::stop_token stop) { t->run(stop); });
    timers_->thread_id = timers_->thread.get_id();
  }
  const TimerId id = timers_->next_id++;
  timers_->index.emplace(id, timers_->queue.emplace(when, std::pair(id, std::move(fire))));
  timers_->wake.notify_all();
  return id;
}

void SystemClock::cancel(TimerId id) noexcept {
  std::unique_lock lock(timers_->mutex);
  if (const auto it = timers_->index.find(id); it != timers_->index.end()) {
    timers_->queue.erase(it->second);
    timers_->index.erase(it);
    return;
  }
  // Already firing: wait for it to return, unless the callback is cancelling itself.
  if (std::this_thread::get_id() != timers_->thread_id)
    timers_->settled.wait(lock, [&] { return timers_->firing != id; });
}

}  // namespace recourse
