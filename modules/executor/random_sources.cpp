// The built-in random sources (see builtins.cppm).
module;
#include <atomic>
#include <cstdint>

module recourse.executor;

namespace recourse {

SplitMixRandom::SplitMixRandom(std::uint64_t seed) : state_(seed) {}

double SplitMixRandom::next_unit() noexcept {
  constexpr std::uint64_t golden = 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state_.fetch_add(golden, std::memory_order_relaxed) + golden;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;  // 53 random bits → [0, 1)
}

FixedRandom::FixedRandom(double value) : value_(value < 0 ? 0 : value >= 1 ? 0x1.fffffffffffffp-1 : value) {}

double FixedRandom::next_unit() noexcept { return value_; }

}  // namespace recourse
