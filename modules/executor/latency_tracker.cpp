// LatencyTracker (see latency_tracker.cppm).
module;
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>

module recourse.executor;

namespace recourse {

LatencyTracker::LatencyTracker(std::size_t minimum_samples) noexcept
    : minimum_samples_(std::clamp<std::size_t>(minimum_samples, 1, capacity)) {}

LatencyTracker::LatencyTracker(std::size_t minimum_samples, const LatencyTracker& carried) noexcept
    : LatencyTracker(minimum_samples) {
  recorded_.store(carried.recorded_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  for (std::size_t i = 0; i < capacity; ++i)
    ring_[i].store(carried.ring_[i].load(std::memory_order_relaxed), std::memory_order_relaxed);
}

void LatencyTracker::record(Duration latency) noexcept {
  const std::uint64_t slot = recorded_.fetch_add(1, std::memory_order_relaxed);
  ring_[slot % capacity].store(std::max<std::int64_t>(latency.count(), 0), std::memory_order_relaxed);
}

std::size_t LatencyTracker::samples() const noexcept {
  return static_cast<std::size_t>(std::min<std::uint64_t>(recorded_.load(std::memory_order_relaxed), capacity));
}

std::optional<Duration> LatencyTracker::percentile(double p) const noexcept {
  const std::size_t n = samples();
  if (n < minimum_samples_ || !(p > 0) || p > 100) return std::nullopt;
  std::array<std::int64_t, capacity> copy;
  for (std::size_t i = 0; i < n; ++i) copy[i] = ring_[i].load(std::memory_order_relaxed);
  // Nearest rank: the smallest sample with at least p% of the samples at or below it.
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
  const std::size_t index = std::clamp<std::size_t>(rank, 1, n) - 1;
  std::nth_element(copy.begin(), copy.begin() + static_cast<std::ptrdiff_t>(index),
                   copy.begin() + static_cast<std::ptrdiff_t>(n));
  return Duration(copy[index]);
}

}  // namespace recourse
