// recourse.executor:latency_tracker — recent successful attempt latencies of one key, and
// their percentiles: what a latency-triggered hedge (p50/p90/p95/p99) waits for. A fixed ring
// of atomic slots: recording is one fetch_add and one store, lock-free; a percentile copies
// the ring and selects, so it costs O(capacity) and is asked once per call, not per attempt.
module;
#include "recourse/export.h"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

export module recourse.executor:latency_tracker;

import recourse.plugin;

export namespace recourse {

class RECOURSE_API LatencyTracker final : public LatencyView {
 public:
  static constexpr std::size_t capacity = 256;

  // Fewer samples than `minimum_samples` answer no percentile: an empty tracker must not
  // trigger hedges on noise.
  explicit LatencyTracker(std::size_t minimum_samples = 20) noexcept;
  // A reload's tracker for a key whose hedge.min_samples changed: the carried samples, judged
  // by the new minimum.
  LatencyTracker(std::size_t minimum_samples, const LatencyTracker& carried) noexcept;
  std::size_t minimum_samples() const noexcept { return minimum_samples_; }

  void record(Duration latency) noexcept;
  // The latency at `percentile` (0 < p <= 100) of the most recent `capacity` samples.
  std::optional<Duration> percentile(double percentile) const noexcept override;
  std::size_t samples() const noexcept override;

 private:
  std::size_t minimum_samples_;
  std::atomic<std::uint64_t> recorded_{0};
  std::array<std::atomic<std::int64_t>, capacity> ring_{};
};

}  // namespace recourse
