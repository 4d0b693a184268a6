// The epoch domain's writer side: slots, the heavy barrier, retiring and reclaiming generations
// (see epoch.cppm for the scheme).
module;
#include "recourse/mutex.h"

#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

module recourse.executor;

namespace recourse::detail {

EpochDomainState epoch_domain;
thread_local constinit EpochSlot* this_thread_epoch_slot = nullptr;

namespace {

std::atomic<EpochSlot*> slots{nullptr};

// Gives the thread's slot back when the thread ends. Touched only when the slot is made, so
// the inline read side reads the trivially constructed pointer above, not this.
struct SlotRelease {
  EpochSlot* slot = nullptr;
  ~SlotRelease() {
    if (slot == nullptr) return;
    slot->entered.store(0, std::memory_order_release);
    slot->depth = 0;
    slot->owned.store(false, std::memory_order_release);
    this_thread_epoch_slot = nullptr;
  }
};
thread_local SlotRelease slot_release;

// Every running thread of this process executes a full memory barrier before this returns.
// membarrier(PRIVATE_EXPEDITED) where the kernel has it (4.14+); else the older, slower
// membarrier(GLOBAL); else the mprotect trick (changing a touched page's protection makes the
// kernel interrupt every CPU that may cache its mapping, which serializes them).
void heavy_barrier() noexcept {
  static const int command = [] {
    const long supported = ::syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (supported > 0 && (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0 &&
        ::syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0)
      return int{MEMBARRIER_CMD_PRIVATE_EXPEDITED};
    if (supported > 0 && (supported & MEMBARRIER_CMD_GLOBAL) != 0) return int{MEMBARRIER_CMD_GLOBAL};
    return 0;
  }();
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (command != 0 && ::syscall(SYS_membarrier, command, 0, 0) == 0) return;
  static void* const page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  static Mutex page_mutex;
  MutexLock lock(page_mutex);
  if (page != MAP_FAILED) {
    static_cast<volatile char*>(page)[0] = 1;
    ::mprotect(page, 4096, PROT_READ);
    ::mprotect(page, 4096, PROT_READ | PROT_WRITE);
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

struct RetiredList {
  Mutex mutex;
  std::vector<Retired> waiting RECOURSE_GUARDED_BY(mutex);
  std::vector<const void*> destroying RECOURSE_GUARDED_BY(mutex);  // owners of those being destroyed now
  std::condition_variable destroyed;  // a destroy ended (destroy_retired_of waits for its owner's)
  // A reclaim found the lock taken: the holder scans again, since this caller's section may
  // have ended after the holder read its slot.
  std::atomic<bool> rescan{false};
};
RetiredList& retired_list() {
  static RetiredList* list = new RetiredList;  // never destroyed: sections may end during exit
  return *list;
}

// The oldest epoch an open section entered in; max when none is open.
std::uint64_t oldest_open_epoch() noexcept {
  std::uint64_t oldest = std::numeric_limits<std::uint64_t>::max();
  for (EpochSlot* slot = slots.load(std::memory_order_acquire); slot != nullptr; slot = slot->next) {
    const std::uint64_t entered = slot->entered.load(std::memory_order_acquire);
    if (entered != 0) oldest = std::min(oldest, entered);
  }
  return oldest;
}

void destroy_all(RetiredList& list, std::vector<Retired>& ready) noexcept {
  for (Retired& r : ready) {
    r.destroy(r.object);
    MutexLock lock(list.mutex);
    list.destroying.erase(std::ranges::find(list.destroying, r.owner));
    list.destroyed.notify_all();
  }
}

// Moves the retired generations no open section can see from `waiting` to `ready`.
void take_unseen(RetiredList& list, std::vector<Retired>& ready) RECOURSE_REQUIRES(list.mutex) {
  const std::uint64_t oldest = oldest_open_epoch();
  const auto still_visible = [&](const Retired& r) { return r.epoch > oldest; };
  const auto mid = std::partition(list.waiting.begin(), list.waiting.end(), still_visible);
  for (auto it = mid; it != list.waiting.end(); ++it) list.destroying.push_back(it->owner);
  ready.assign(mid, list.waiting.end());
  list.waiting.erase(mid, list.waiting.end());
  epoch_domain.retired_waiting.store(!list.waiting.empty(), std::memory_order_relaxed);
}

}  // namespace

EpochSlot* register_epoch_slot() noexcept {
  EpochSlot* slot = nullptr;
  for (EpochSlot* s = slots.load(std::memory_order_acquire); s != nullptr && slot == nullptr; s = s->next) {
    bool free = false;
    if (s->owned.compare_exchange_strong(free, true, std::memory_order_acquire)) slot = s;
  }
  if (slot == nullptr) {
    slot = new EpochSlot;  // lives as long as the process: scans may read it at any time
    slot->owned.store(true, std::memory_order_relaxed);
    EpochSlot* head = slots.load(std::memory_order_relaxed);
    do {
      slot->next = head;
    } while (!slots.compare_exchange_weak(head, slot, std::memory_order_release, std::memory_order_relaxed));
  }
  slot_release.slot = slot;
  this_thread_epoch_slot = slot;
  return slot;
}

void retire(Retired retired) noexcept {
  // Raised before the barrier, so every section ending after it sees the flag and reclaims.
  epoch_domain.retired_waiting.store(true, std::memory_order_relaxed);
  heavy_barrier();  // every section that could have read the old pointer now shows its epoch
  retired.epoch = epoch_domain.epoch.fetch_add(1, std::memory_order_acq_rel) + 1;
  {
    RetiredList& list = retired_list();
    MutexLock lock(list.mutex);
    list.waiting.push_back(retired);
    epoch_domain.retired_waiting.store(true, std::memory_order_relaxed);
  }
  reclaim_retired();
}

void reclaim_retired(bool wait) noexcept {
  RetiredList& list = retired_list();
  for (;;) {
    std::vector<Retired> ready;
    if (wait) {
      list.mutex.lock();
    } else if (!list.mutex.try_lock()) {
      list.rescan.store(true, std::memory_order_seq_cst);
      if (!list.mutex.try_lock()) return;  // the holder will see `rescan` after it unlocks
    }
    list.rescan.store(false, std::memory_order_relaxed);
    take_unseen(list, ready);
    list.mutex.unlock();
    destroy_all(list, ready);
    if (!list.rescan.load(std::memory_order_seq_cst)) return;
  }
}

void destroy_retired_of(const void* owner) noexcept {
  RetiredList& list = retired_list();
  std::vector<Retired> ready;
  {
    MutexLock lock(list.mutex);
    const auto others = [&](const Retired& r) { return r.owner != owner; };
    const auto mid = std::partition(list.waiting.begin(), list.waiting.end(), others);
    for (auto it = mid; it != list.waiting.end(); ++it) list.destroying.push_back(it->owner);
    ready.assign(mid, list.waiting.end());
    list.waiting.erase(mid, list.waiting.end());
    epoch_domain.retired_waiting.store(!list.waiting.empty(), std::memory_order_relaxed);
  }
  destroy_all(list, ready);
  UniqueLock lock(list.mutex);
  while (std::ranges::find(list.destroying, owner) != list.destroying.end()) list.destroyed.wait(lock.native());
}

std::size_t retired_waiting_count(const void* owner) noexcept {
  RetiredList& list = retired_list();
  MutexLock lock(list.mutex);
  return static_cast<std::size_t>(std::ranges::count(list.waiting, owner, &Retired::owner));
}

}  // namespace recourse::detail
