// The lock-free lookup structures of the policy cache (see key_index.cppm).
module;
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

module recourse.executor;

namespace recourse::detail {

StringIndex::StringIndex(std::size_t capacity)
    : mask_(std::bit_ceil(capacity < 16 ? std::size_t{16} : capacity) - 1),
      slots_(std::make_unique<std::atomic<const Entry*>[]>(mask_ + 1)) {}

bool StringIndex::insert(std::string_view text, const PolicyHead* policy) {
  if ((used_ + 1) * 2 > mask_ + 1) return false;  // keep probe sequences short
  const std::size_t hash = key_hash(text);
  const Entry& entry = entries_.emplace_back(Entry{std::string(text), hash, policy});
  std::size_t i = hash & mask_;
  while (slots_[i].load(std::memory_order_relaxed) != nullptr) i = (i + 1) & mask_;
  slots_[i].store(&entry, std::memory_order_release);
  ++used_;
  return true;
}

HandleIndex::HandleIndex() {
  for (auto& chunk : chunks_) chunk.store(nullptr, std::memory_order_relaxed);
}

HandleIndex::~HandleIndex() {
  for (auto& chunk : chunks_) delete chunk.load(std::memory_order_relaxed);
}

void HandleIndex::insert(std::uint32_t id, const PolicyHead* policy) {
  const std::size_t c = id / chunk_size;
  if (c >= chunks) return;  // ids past the table resolve under the lock each time
  Chunk* chunk = chunks_[c].load(std::memory_order_relaxed);
  if (chunk == nullptr) {
    chunk = new Chunk;
    for (auto& slot : *chunk) slot.store(nullptr, std::memory_order_relaxed);
    chunks_[c].store(chunk, std::memory_order_release);
  }
  (*chunk)[id % chunk_size].store(policy, std::memory_order_release);
}

}  // namespace recourse::detail
