// recourse.executor:key_index — the lock-free lookups of the hot path: raw key text or an
// interned KeyHandle to the key's compiled policy. Inline, so a cached call costs a hash (or
// an array index) and a few loads in the caller's code.
module;
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

export module recourse.executor:key_index;

import recourse.plugin;
import :circuit_breaker;

namespace recourse::detail {

// The part of a compiled policy the inline fast path reads.
struct PolicyHead {
  // Non-null when calls under this policy may take the inline fast path: no timeout, no
  // budget, no refusal, no observer of calls on the executor. The classifier that judges
  // attempt 0.
  const Classifier* fast_classifier = nullptr;
  // Non-null instead when the policy would be plain but for its timeouts: attempt 0 runs under
  // its deadline (run_timed_first), with these (zero: none) counted from the call's start. Kept
  // apart so the plain path does not even test for it.
  const Classifier* timed_classifier = nullptr;
  Duration per_attempt_timeout{0};
  Duration overall_timeout{0};
  // Non-null for every plain untimed policy: a call that is told about — observers of calls
  // (`watched`), a caller's Timeline — runs attempt 0 inline too (run_watched_first), and what
  // they are told of a success is filled in out of line (watched_first).
  const Classifier* watched_classifier = nullptr;
  // Observers hear of this policy's calls (on the timed path too), of their start, with times.
  bool watched = false;
  bool watched_start = false;
  bool watched_times = false;
  // The classifier is a built-in (`always`, `never`) that calls a plain value — no failing
  // protocol status, caller not cancelled — a success: the fast path need not ask it.
  bool plain_value_succeeds = false;
  std::string_view policy_id;
  // The key's breaker, when its policy has one; checked inline.
  CircuitBreaker* breaker = nullptr;
  // The executor's clock: for deadlines, and for breakers that need call times.
  Clock* clock = nullptr;
};

// FNV-1a: inline and cheap for the short keys call sites use.
inline std::size_t key_hash(std::string_view text) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  return static_cast<std::size_t>(h);
}

// Raw key text → policy. Open addressing over atomic slots; inserts (under the executor's
// lock) only fill empty slots, so a reader sees nothing or a complete entry.
class StringIndex {
 public:
  explicit StringIndex(std::size_t capacity);
  inline const PolicyHead* find(std::string_view text) const noexcept {
    const std::size_t hash = key_hash(text);
    for (std::size_t i = hash & mask_, probes = 0; probes <= mask_; i = (i + 1) & mask_, ++probes) {
      const Entry* entry = slots_[i].load(std::memory_order_acquire);
      if (entry == nullptr) return nullptr;
      if (entry->hash == hash && entry->text == text) return entry->policy;
    }
    return nullptr;
  }
  // False when the table is half full; such keys resolve under the lock each time.
  bool insert(std::string_view text, const PolicyHead* policy);

 private:
  struct Entry {
    std::string text;
    std::size_t hash;
    const PolicyHead* policy;
  };
  std::size_t mask_;
  std::size_t used_ = 0;
  std::unique_ptr<std::atomic<const Entry*>[]> slots_;
  std::deque<Entry> entries_;
};

// KeyHandle id → policy: a two-level array of atomic pointers, chunks made on demand.
class HandleIndex {
 public:
  static constexpr std::size_t chunk_size = 1024, chunks = 64;
  HandleIndex();
  ~HandleIndex();
  HandleIndex(const HandleIndex&) = delete;
  HandleIndex& operator=(const HandleIndex&) = delete;
  inline const PolicyHead* find(std::uint32_t id) const noexcept {
    const std::size_t c = id / chunk_size;
    if (c >= chunks) return nullptr;
    const Chunk* chunk = chunks_[c].load(std::memory_order_acquire);
    return chunk == nullptr ? nullptr : (*chunk)[id % chunk_size].load(std::memory_order_acquire);
  }
  void insert(std::uint32_t id, const PolicyHead* policy);

 private:
  using Chunk = std::array<std::atomic<const PolicyHead*>, chunk_size>;
  std::array<std::atomic<Chunk*>, chunks> chunks_;
};

struct KeyIndexes {
  explicit KeyIndexes(std::size_t capacity) : strings(capacity) {}
  StringIndex strings;
  HandleIndex handles;
};

struct ExecutorState;

// The part of a generation (an ExecutorState) the inline fast path reads: its indexes, and
// the generation itself to hand to the out-of-line paths.
struct GenerationHead {
  GenerationHead(std::size_t capacity, ExecutorState* state, std::uint64_t number)
      : indexes(capacity), state(state), number(number) {}
  KeyIndexes indexes;
  ExecutorState* state;
  std::uint64_t number;  // 1 for an executor's first generation; each replace() adds one
};

}  // namespace recourse::detail
