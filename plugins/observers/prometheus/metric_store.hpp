// Memory: about 10 KB per key seen (three reason tables of 64 entries and the histogram).
//
// The prometheus observer's counters: written by calls on any thread with relaxed atomic adds,
// read by the scrape thread. A call finds its key's counters by CallInfo::key_slot (an index,
// no lookup on the key's text) and a reason's counter by comparing the reason's pointer
// (reason codes have static storage) — the mutex is taken only the first time a key or a
// reason is seen.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

import recourse.plugin;

namespace recourse::plugins::prometheus {

// Counts by reason text. Published entries are never moved or removed.
class ReasonCounters {
 public:
  static constexpr std::size_t capacity = 64;  // distinct reasons per key and family

  void add(std::string_view reason) noexcept {
    const std::size_t used = used_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < used; ++i)
      if (entries_[i].is(reason)) {
        entries_[i].count.fetch_add(1, std::memory_order_relaxed);
        return;
      }
    add_slow(reason);
  }

  // (reason, count) for every reason seen, once per text (the same reason may have come under
  // several pointers: each plugin library has its own copy of a reason literal), the overflow
  // last as "_other".
  template <class Visit>
  void for_each(Visit&& visit) const {
    const std::size_t used = used_.load(std::memory_order_acquire);
    std::array<std::pair<std::string_view, std::uint64_t>, capacity> merged;
    std::size_t distinct = 0;
    for (std::size_t i = 0; i < used; ++i) {
      const std::string_view text = entries_[i].text;
      const std::uint64_t n = entries_[i].count.load(std::memory_order_relaxed);
      std::size_t j = 0;
      while (j < distinct && merged[j].first != text) ++j;
      if (j == distinct) merged[distinct++] = {text, 0};
      merged[j].second += n;
    }
    for (std::size_t j = 0; j < distinct; ++j) visit(merged[j].first, merged[j].second);
    if (const std::uint64_t other = overflow_.load(std::memory_order_relaxed); other > 0) visit("_other", other);
  }

 private:
  struct Entry {
    // The pointer the reason came with, for the fast comparison; the text is the entry's own
    // copy (a plugin's reason literal goes away with its library), compared as well, so a
    // pointer reused for other text never counts there.
    const char* data = nullptr;
    std::string text;
    std::atomic<std::uint64_t> count{0};
    bool is(std::string_view reason) const noexcept {
      return data == reason.data() && text.size() == reason.size() &&
             std::memcmp(text.data(), reason.data(), reason.size()) == 0;
    }
  };

  void add_slow(std::string_view reason) noexcept;

  std::array<Entry, capacity> entries_;
  std::atomic<std::size_t> used_{0};  // entries_[0, used_) are complete
  std::atomic<std::uint64_t> overflow_{0};
  std::mutex inserting_;
};

// A histogram of call durations: counts per bucket (not cumulative; the exposition sums them),
// the count and the sum in nanoseconds.
class DurationHistogram {
 public:
  explicit DurationHistogram(const std::vector<Duration>& bounds)
      : bounds_(bounds), buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds.size() + 1)) {}

  void observe(Duration d) noexcept {
    std::size_t i = 0;
    while (i < bounds_.size() && d > bounds_[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(d.count() > 0 ? d.count() : 0), std::memory_order_relaxed);
  }

  const std::vector<Duration>& bounds() const noexcept { return bounds_; }
  std::uint64_t bucket(std::size_t i) const noexcept { return buckets_[i].load(std::memory_order_relaxed); }
  std::uint64_t sum_ns() const noexcept { return sum_ns_.load(std::memory_order_relaxed); }

 private:
  const std::vector<Duration>& bounds_;  // the store's, which outlives this
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1: the last is +Inf
  std::atomic<std::uint64_t> sum_ns_{0};
};

inline constexpr std::size_t hedge_event_kinds = 3;  // HedgeEventKind: spawned, cancelled, not_started
inline constexpr std::size_t circuit_states = 3;     // CircuitState: closed, open, half_open

// Everything counted for one key.
struct KeyMetrics {
  KeyMetrics(std::string key, const std::vector<Duration>& bounds) : key(std::move(key)), duration(bounds) {}

  const std::string key;  // the label value
  ReasonCounters succeeded, failed;  // calls, by final reason
  ReasonCounters attempts;           // attempts, by the attempt's reason
  std::array<std::atomic<std::uint64_t>, hedge_event_kinds> hedges{};
  std::array<std::array<std::atomic<std::uint64_t>, circuit_states>, circuit_states> transitions{};
  // The breaker's state as last seen (an index into CircuitState), -1 while the key has shown
  // no sign of having a breaker (no transition, every call met it closed).
  std::atomic<int> circuit_state{-1};
  DurationHistogram duration;
};

// One budget's decisions.
struct BudgetMetrics {
  std::string name;
  std::atomic<std::uint64_t> allowed{0}, denied{0};
};

class MetricStore {
 public:
  static constexpr std::size_t chunk_size = 1024, chunks = 64;  // up to 65 536 keys by slot

  explicit MetricStore(std::vector<Duration> bounds);
  ~MetricStore();
  MetricStore(const MetricStore&) = delete;
  MetricStore& operator=(const MetricStore&) = delete;

  // The key's counters: by slot, made on its first event. A key without a slot (past the
  // executor's max_keys) or past this store's capacity counts under the key "_over_limit", so
  // label values stay bounded by the executor's key limit.
  KeyMetrics& key(const CallInfo& call) {
    const std::uint32_t slot = call.key_slot;
    if (slot != CallInfo::no_key_slot && slot / chunk_size < chunks) {
      if (const Chunk* chunk = chunks_[slot / chunk_size].load(std::memory_order_acquire))
        if (KeyMetrics* found = (*chunk)[slot % chunk_size].load(std::memory_order_acquire)) return *found;
      return make(slot, call.key);
    }
    return over_limit_;
  }

  BudgetMetrics& budget(std::string_view name);

  // A reload reset the key's breaker (ConfigEvent::breakers_reset): it is closed again, and no
  // transition says so.
  void circuit_reset(std::string_view key);

  const ExecutorStats* stats = nullptr;  // the executor's own counters, when the host gives them
  const FeedStatusSource* feeds = nullptr;  // the host's policy feed, when it gives one
  Clock* clock = nullptr;                   // for the feed's staleness (wall time)
  std::atomic<std::uint64_t> generation{0};
  std::atomic<std::uint64_t> reloads_accepted{0}, reloads_refused{0};

  // The Prometheus text exposition format (version 0.0.4) of everything counted.
  std::string exposition() const;

 private:
  using Chunk = std::array<std::atomic<KeyMetrics*>, chunk_size>;
  KeyMetrics& make(std::uint32_t slot, std::string_view key);
  void feed_exposition(std::string& out, const RunningFeed& feed) const;

  const std::vector<Duration> bounds_;
  std::array<std::atomic<Chunk*>, chunks> chunks_{};
  KeyMetrics over_limit_;
  mutable std::mutex making_;  // new keys and budgets; the scrape reads the lists under it
  std::vector<std::unique_ptr<KeyMetrics>> keys_;  // in the order first seen; under making_
  // Budgets by name: few (the config names them), scanned without the lock.
  static constexpr std::size_t max_budgets = 64;
  std::array<std::unique_ptr<BudgetMetrics>, max_budgets> budgets_;
  std::atomic<std::size_t> budgets_used_{0};  // budgets_[0, used) are complete
  BudgetMetrics budget_overflow_{"other"};
};

}  // namespace recourse::plugins::prometheus
