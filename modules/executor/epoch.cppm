// recourse.executor:epoch — when an old generation of an executor may be destroyed, without a
// shared reference count written per call.
//
// Every thread that runs calls owns an EpochSlot. A call's outermost ReadSection writes the
// domain's current epoch into the thread's slot (a plain store to a line only that thread
// writes) and clears it at the end. Replacing a generation publishes the new one, runs a heavy
// barrier (membarrier(2): every running thread of the process executes a full fence), advances
// the epoch and retires the old generation tagged with the new epoch. A retired generation is
// destroyed once every slot is clear or shows an epoch at least its tag: no call still inside
// can have loaded it. The reader side is a store, a compiler fence and a load; the cost of
// ordering lives on the writer, which reloads rarely. (The scheme is the asymmetric-fence
// variant of epoch reclamation folly's hazard pointers and userver's rcu::Variable use; see
// docs/decisions/0006-generations.md.)
module;
#include "recourse/export.h"

#include <atomic>
#include <cstddef>
#include <cstdint>

export module recourse.executor:epoch;

namespace recourse::detail {

// One thread's read-side record. Cache-line sized: only its owner writes it.
struct alignas(64) EpochSlot {
  std::atomic<std::uint64_t> entered{0};  // the epoch its outermost section began in; 0: none
  std::uint32_t depth = 0;                // sections open on the owning thread (calls in calls)
  std::atomic<bool> owned{false};         // a live thread has it (a slot outlives its thread)
  EpochSlot* next = nullptr;              // the domain's list; slots are reused, never freed
};

struct EpochDomainState {
  std::atomic<std::uint64_t> epoch{1};
  std::atomic<bool> retired_waiting{false};  // some generation waits to be destroyed
};

RECOURSE_API extern EpochDomainState epoch_domain;
// This thread's slot, null until its first section. Initial-exec TLS: the library is linked,
// not dlopen'd, and constinit lets inline code in the caller read it without a TLS wrapper.
RECOURSE_API extern thread_local constinit EpochSlot* this_thread_epoch_slot;

RECOURSE_API EpochSlot* register_epoch_slot() noexcept;
// Destroys the retired generations no section can still see (they run outside the domain's
// lock, on the calling thread). Called by the last section of a thread that ends while some
// wait, and after every retire; these skip it when another thread is reclaiming (`wait`
// false), which may leave a generation for the next section's end.
RECOURSE_API void reclaim_retired(bool wait = false) noexcept;

// What a retired generation is: something to destroy, and whose (Executor's) it was.
struct Retired {
  void (*destroy)(void* object) noexcept = nullptr;
  void* object = nullptr;
  const void* owner = nullptr;
  std::uint64_t epoch = 0;  // destroyable once no section entered before it is open
};

// Publishes nothing itself: the caller stored the new generation before retiring the old one.
RECOURSE_API void retire(Retired retired) noexcept;
// Destroys every generation `owner` retired, now, and waits for those another thread is
// destroying: its owner is being destroyed, and no call of it may still run (the same rule as
// destroying any executor).
RECOURSE_API void destroy_retired_of(const void* owner) noexcept;
// Generations `owner` retired that are not destroyed yet.
RECOURSE_API std::size_t retired_waiting_count(const void* owner) noexcept;

// The read side: a call from beginning to end. Nests (an operation may call an executor).
class ReadSection {
 public:
  inline ReadSection() noexcept : slot_(this_thread_epoch_slot) {
    if (slot_ == nullptr) [[unlikely]]
      slot_ = register_epoch_slot();
    if (slot_->depth++ == 0) {
      // Release: a scan that reads this epoch (not the 0 before it) is ordered after the reads of
      // this thread's previous section. A plain store on x86.
      slot_->entered.store(epoch_domain.epoch.load(std::memory_order_relaxed), std::memory_order_release);
      // The store above must be visible before the generation pointer is read. The writer's
      // membarrier makes that so for a compiler fence; TSan does not know membarrier, so under
      // it the fence is a real one (the same guarantee without relying on the barrier).
#if defined(__SANITIZE_THREAD__) || (defined(__has_feature) && __has_feature(thread_sanitizer))
      std::atomic_thread_fence(std::memory_order_seq_cst);
#else
      std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
    }
  }
  inline ~ReadSection() {
    if (--slot_->depth == 0) {
      slot_->entered.store(0, std::memory_order_release);
      if (epoch_domain.retired_waiting.load(std::memory_order_relaxed)) [[unlikely]]
        reclaim_retired();
    }
  }
  ReadSection(const ReadSection&) = delete;
  ReadSection& operator=(const ReadSection&) = delete;

 private:
  EpochSlot* slot_;
};

}  // namespace recourse::detail
