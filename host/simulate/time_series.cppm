// recourse.host.simulate:time_series (internal) — a run's time series (arrivals at the
// dependency, the budget's level) in at most max_buckets buckets. The bucket starts as
// configured; a run that outgrows the buckets merges neighbours pairwise and doubles it, so
// memory stays bounded whatever the run's length. Widths are always the configured bucket × 2^k,
// so two series of one run are brought to one width at the end with widen_to().
module;
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

module recourse.host.simulate:time_series;

import recourse.core;

namespace recourse::host::simulate {

// Events per bucket.
class BucketCounts {
 public:
  BucketCounts(Duration bucket, std::size_t limit) : bucket_(bucket), limit_(std::max<std::size_t>(limit, 2)) {}

  // One event `since` the run began (negative counts in the first bucket).
  void add(Duration since) {
    since = std::max(since, Duration::zero());
    while (static_cast<std::size_t>(since / bucket_) >= limit_) double_bucket();
    const auto index = static_cast<std::size_t>(since / bucket_);
    if (counts_.size() <= index) counts_.resize(index + 1, 0);
    ++counts_[index];
  }

  // Merges until the bucket is `bucket` (the configured bucket × 2^k, not narrower than now).
  void widen_to(Duration bucket) {
    while (bucket_ < bucket) double_bucket();
  }

  Duration bucket() const noexcept { return bucket_; }
  const std::vector<std::uint64_t>& counts() const noexcept { return counts_; }

 private:
  void double_bucket() {
    std::vector<std::uint64_t> merged((counts_.size() + 1) / 2, 0);
    for (std::size_t i = 0; i < counts_.size(); ++i) merged[i / 2] += counts_[i];
    counts_ = std::move(merged);
    bucket_ *= 2;
  }

  Duration bucket_;
  std::size_t limit_;
  std::vector<std::uint64_t> counts_;
};

// A value read at the end of each bucket: sample i is due at (i + 1) × bucket.
class BucketSamples {
 public:
  BucketSamples(Duration bucket, std::size_t limit) : bucket_(bucket), limit_(std::max<std::size_t>(limit, 2)) {}

  // When the next sample is due, since the run began.
  Duration next_due() const noexcept { return bucket_ * static_cast<Duration::rep>(samples_.size() + 1); }

  // The sample due at next_due().
  void push(double value) {
    samples_.push_back(value);
    if (samples_.size() >= limit_) double_bucket();
  }

  void widen_to(Duration bucket) {
    while (bucket_ < bucket) double_bucket();
  }

  Duration bucket() const noexcept { return bucket_; }
  const std::vector<double>& samples() const noexcept { return samples_; }

 private:
  // The end of merged bucket m is the end of old bucket 2m + 1: keep the odd samples.
  void double_bucket() {
    std::vector<double> kept;
    kept.reserve(samples_.size() / 2);
    for (std::size_t i = 1; i < samples_.size(); i += 2) kept.push_back(samples_[i]);
    samples_ = std::move(kept);
    bucket_ *= 2;
  }

  Duration bucket_;
  std::size_t limit_;
  std::vector<double> samples_;
};

}  // namespace recourse::host::simulate
