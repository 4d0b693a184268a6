// recourse::detail::Mutex and its locks: std::mutex as a capability clang's thread-safety
// analysis understands (libstdc++'s std::mutex and std::lock_guard carry no annotations, so
// RECOURSE_GUARDED_BY over a std::mutex would check nothing). The abseil approach: a thin
// annotated wrapper, the same code at run time. Include it in a global module fragment only.
//
//   detail::Mutex mutex_;
//   int count_ RECOURSE_GUARDED_BY(mutex_);
//   { detail::MutexLock lock(mutex_); ++count_; }       // a lock_guard
//   detail::UniqueLock lock(mutex_);                    // a unique_lock, for condition variables:
//   while (!ready_) cv_.wait(lock.native());            // the loop in view, so the analysis sees
//                                                       // ready_ read under the lock
#pragma once

#include <mutex>

#include "recourse/thread_annotations.h"

namespace recourse::detail {

class RECOURSE_CAPABILITY("mutex") Mutex {
 public:
  void lock() RECOURSE_ACQUIRE() { mutex_.lock(); }
  void unlock() RECOURSE_RELEASE() { mutex_.unlock(); }
  // For work that another thread already doing it makes unneeded (reclaiming generations).
  bool try_lock() RECOURSE_TRY_ACQUIRE(true) { return mutex_.try_lock(); }
  // For std::unique_lock (UniqueLock); not for locking directly, which the analysis would miss.
  std::mutex& native() noexcept { return mutex_; }

 private:
  std::mutex mutex_;
};

// std::lock_guard over a Mutex.
class RECOURSE_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) RECOURSE_ACQUIRE(mutex) : mutex_(mutex) { mutex_.lock(); }
  ~MutexLock() RECOURSE_RELEASE() { mutex_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mutex_;
};

// std::unique_lock over a Mutex: may be let go of and taken again, and hands a condition
// variable the std::unique_lock it waits on (native()). A wait lets go and retakes the lock
// inside; the analysis sees it held throughout, which is what the waiting code may assume.
class RECOURSE_SCOPED_CAPABILITY UniqueLock {
 public:
  explicit UniqueLock(Mutex& mutex) RECOURSE_ACQUIRE(mutex) : lock_(mutex.native()) {}
  ~UniqueLock() RECOURSE_RELEASE() {}  // std::unique_lock unlocks if it still owns
  UniqueLock(const UniqueLock&) = delete;
  UniqueLock& operator=(const UniqueLock&) = delete;

  void lock() RECOURSE_ACQUIRE() { lock_.lock(); }
  void unlock() RECOURSE_RELEASE() { lock_.unlock(); }
  std::unique_lock<std::mutex>& native() noexcept { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace recourse::detail
