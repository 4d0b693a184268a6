// The per-process budgets the Redis-shared ones fall back on while Redis is unreachable
// (on_unavailable = "local"): the fleet's budget divided by fleet_size, so the fleet as a whole
// keeps roughly to it. They run on the host clock and exist from the start, spent only while
// Redis is down and refilling all the time, so a Redis that flaps does not hand each process a
// fresh budget at every outage.
//
// The arithmetic is the local token_bucket's and ratio's (plugins/budgets/token_bucket,
// plugins/budgets/ratio); a plugin may not depend on another's folder, so it is restated here,
// small. Not thread-safe: the owning budget locks.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <limits>

namespace recourse::plugins::redis_budget {

class LocalTokenBucket {
 public:
  using Time = std::chrono::steady_clock::time_point;
  LocalTokenBucket(double capacity, double refill_per_second, double initial, Time now)
      : capacity_(capacity), rate_(refill_per_second), tokens_(std::min(initial, capacity)), at_(now) {}

  bool take(double cost, Time now) {
    refill(now);
    if (tokens_ + 1e-9 < cost) return false;
    tokens_ = std::max(0.0, tokens_ - cost);
    return true;
  }
  void give_back(double cost) { tokens_ = std::min(capacity_, tokens_ + cost); }
  double level(Time now) {
    refill(now);
    return tokens_;
  }
  // A reload: the tokens of the bucket it replaces, clamped to this capacity.
  void carry(const LocalTokenBucket& old, Time now) {
    LocalTokenBucket copy = old;
    tokens_ = std::min(capacity_, copy.level(now));
    at_ = now;
  }

 private:
  void refill(Time now) {
    if (now <= at_) return;
    tokens_ = std::min(capacity_, tokens_ + std::chrono::duration<double>(now - at_).count() * rate_);
    at_ = now;
  }
  double capacity_;
  double rate_;
  double tokens_;
  Time at_;
};

class LocalRatioWindow {
 public:
  using Time = std::chrono::steady_clock::time_point;
  static constexpr std::int64_t bucket_count = 10;

  // reserve: 100 * min_per_second * window seconds, as the shared script takes it.
  LocalRatioWindow(double percent, double reserve, std::chrono::nanoseconds bucket_width)
      : percent_(percent), reserve_(reserve), width_(bucket_width) {}

  void count_call(Time now) { ++bucket(index(now)).calls; }

  // The bucket index that counted the retry, or -1 when denied.
  std::int64_t acquire(Time now) {
    const std::int64_t at = index(now);
    if (100.0 * static_cast<double>(retries(at) + 1) > percent_ * static_cast<double>(calls(at)) + reserve_) return -1;
    ++bucket(at).retries;
    return at;
  }
  void release(std::int64_t at) {
    Bucket& b = buckets_[slot(at)];
    if (b.index == at && b.retries > 0) --b.retries;
  }
  double level(Time now) {
    const std::int64_t at = index(now);
    return std::max(0.0,
                    (percent_ * static_cast<double>(calls(at)) + reserve_) / 100.0 - static_cast<double>(retries(at)));
  }
  void carry(const LocalRatioWindow& old) {
    if (old.width_ == width_) buckets_ = old.buckets_;
  }

 private:
  struct Bucket {
    std::int64_t index = std::numeric_limits<std::int64_t>::min();
    std::int64_t calls = 0;
    std::int64_t retries = 0;
  };
  static std::size_t slot(std::int64_t at) {
    return static_cast<std::size_t>(((at % bucket_count) + bucket_count) % bucket_count);
  }
  std::int64_t index(Time now) const {
    const std::int64_t since = now.time_since_epoch().count();
    const std::int64_t width = std::chrono::duration_cast<Time::duration>(width_).count();
    return since / width - (since % width < 0 ? 1 : 0);
  }
  Bucket& bucket(std::int64_t at) {
    Bucket& b = buckets_[slot(at)];
    if (b.index != at) b = Bucket{at, 0, 0};
    return b;
  }
  std::int64_t calls(std::int64_t at) const {
    std::int64_t n = 0;
    for (const Bucket& b : buckets_)
      if (b.index > at - bucket_count && b.index <= at) n += b.calls;
    return n;
  }
  std::int64_t retries(std::int64_t at) const {
    std::int64_t n = 0;
    for (const Bucket& b : buckets_)
      if (b.index > at - bucket_count && b.index <= at) n += b.retries;
    return n;
  }

  double percent_;
  double reserve_;
  std::chrono::nanoseconds width_;
  std::array<Bucket, bucket_count> buckets_{};
};

}  // namespace recourse::plugins::redis_budget
