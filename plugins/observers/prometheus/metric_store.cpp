// The prometheus observer's counters and their exposition (see metric_store.hpp). The text
// follows the Prometheus text exposition format 0.0.4: one `# HELP` and `# TYPE` per family,
// every sample of a family together, label values escaped (\\, \", \n), histogram buckets
// cumulative with an `le="+Inf"` bucket equal to `_count`.
#include "metric_store.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace recourse::plugins::prometheus {
namespace {

constexpr std::string_view hedge_event_names[hedge_event_kinds]{"spawned", "cancelled", "not_started"};
constexpr std::string_view circuit_state_names[circuit_states]{"closed", "open", "half_open"};

void append_escaped(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

void append_number(std::string& out, std::uint64_t value) {
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out.append(buffer, end);
}

void append_seconds(std::string& out, double seconds) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, seconds).ptr;  // shortest round-trip
  out.append(buffer, end);
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// One sample: name{label="value",…} value
class Sample {
 public:
  Sample(std::string& out, std::string_view name) : out_(out) { out_.append(name); }
  Sample& label(std::string_view name, std::string_view value) {
    out_ += first_ ? '{' : ',';
    first_ = false;
    out_.append(name).append("=\"");
    append_escaped(out_, value);
    out_ += '"';
    return *this;
  }
  void value(std::uint64_t v) {
    end_labels();
    append_number(out_, v);
    out_ += '\n';
  }
  void seconds(double v) {
    end_labels();
    if (std::isinf(v)) out_.append(v > 0 ? "+Inf" : "-Inf");  // the exposition format's spelling
    else append_seconds(out_, v);
    out_ += '\n';
  }

 private:
  void end_labels() { out_ += first_ ? " " : "} "; }
  std::string& out_;
  bool first_ = true;
};

}  // namespace

void ReasonCounters::add_slow(std::string_view reason) noexcept {
  try {
    const std::lock_guard lock(inserting_);
    const std::size_t used = used_.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < used; ++i)
      if (entries_[i].is(reason)) {
        entries_[i].count.fetch_add(1, std::memory_order_relaxed);
        return;
      }
    if (used == capacity) {
      overflow_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    // The same text may already have an entry under another pointer; a second entry is fine
    // (each pointer then matches at once), and the exposition adds them up.
    Entry& entry = entries_[used];
    entry.data = reason.data();
    entry.text.assign(reason);
    entry.count.store(1, std::memory_order_relaxed);
    used_.store(used + 1, std::memory_order_release);
  } catch (...) {
    overflow_.fetch_add(1, std::memory_order_relaxed);  // out of memory: counted, not lost
  }
}

MetricStore::MetricStore(std::vector<Duration> bounds)
    : bounds_(std::move(bounds)), over_limit_("_over_limit", bounds_) {}

MetricStore::~MetricStore() {
  for (auto& chunk : chunks_) delete chunk.load(std::memory_order_relaxed);
}

KeyMetrics& MetricStore::make(std::uint32_t slot, std::string_view key) {
  const std::lock_guard lock(making_);
  std::atomic<Chunk*>& chunk_ref = chunks_[slot / chunk_size];
  Chunk* chunk = chunk_ref.load(std::memory_order_relaxed);
  if (chunk == nullptr) {
    chunk = new Chunk{};
    chunk_ref.store(chunk, std::memory_order_release);
  }
  std::atomic<KeyMetrics*>& cell = (*chunk)[slot % chunk_size];
  if (KeyMetrics* found = cell.load(std::memory_order_relaxed)) return *found;
  KeyMetrics* made = keys_.emplace_back(std::make_unique<KeyMetrics>(std::string(key), bounds_)).get();
  cell.store(made, std::memory_order_release);
  return *made;
}

BudgetMetrics& MetricStore::budget(std::string_view name) {
  const auto find = [&](std::size_t used) -> BudgetMetrics* {
    for (std::size_t i = 0; i < used; ++i)
      if (budgets_[i]->name == name) return budgets_[i].get();
    return nullptr;
  };
  if (BudgetMetrics* found = find(budgets_used_.load(std::memory_order_acquire))) return *found;
  const std::lock_guard lock(making_);
  const std::size_t used = budgets_used_.load(std::memory_order_relaxed);
  if (BudgetMetrics* found = find(used)) return *found;
  if (used == max_budgets) return budget_overflow_;
  budgets_[used] = std::make_unique<BudgetMetrics>(std::string(name));
  budgets_used_.store(used + 1, std::memory_order_release);
  return *budgets_[used];
}

void MetricStore::circuit_reset(std::string_view key) {
  const std::lock_guard lock(making_);
  for (const auto& k : keys_)
    if (k->key == key && k->circuit_state.load(std::memory_order_relaxed) >= 0)
      k->circuit_state.store(0, std::memory_order_relaxed);
}

// The control plane's health: what the feed is, how stale its document is, what its fetches did.
void MetricStore::feed_exposition(std::string& out, const RunningFeed& feed) const {
  const FeedStatus& s = feed.status;
  const auto labelled = [&](std::string_view name) {
    Sample sample(out, name);
    sample.label("provider", feed.provider).label("target", s.target);
    return sample;
  };
  const auto unix_seconds = [](WallTime t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); };
  family(out, "recourse_policy_feed_info", "gauge",
         "The policy feed in force: 1, labelled with the document's version.");
  labelled("recourse_policy_feed_info").label("version", s.version).value(1);
  family(out, "recourse_policy_feed_staleness_seconds", "gauge",
         "Seconds since the feed's last good fetch (a document taken, or confirmed unchanged); +Inf before the first.");
  const double staleness = s.last_good && clock != nullptr
                               ? std::max(0.0, std::chrono::duration<double>(clock->wall_now() - *s.last_good).count())
                               : std::numeric_limits<double>::infinity();
  labelled("recourse_policy_feed_staleness_seconds").seconds(staleness);
  if (s.last_good) {
    family(out, "recourse_policy_feed_last_good_timestamp_seconds", "gauge",
           "When the feed last fetched a good document or confirmed it, in Unix seconds.");
    labelled("recourse_policy_feed_last_good_timestamp_seconds").seconds(unix_seconds(*s.last_good));
  }
  family(out, "recourse_policy_feed_fetches_total", "counter",
         "The feed's requests, by result (unchanged: confirmed by the source, e.g. HTTP 304).");
  labelled("recourse_policy_feed_fetches_total").label("result", "requested").value(s.fetches);
  labelled("recourse_policy_feed_fetches_total").label("result", "unchanged").value(s.unchanged);
  labelled("recourse_policy_feed_fetches_total").label("result", "failed").value(s.failures);
  labelled("recourse_policy_feed_fetches_total").label("result", "refused").value(s.refused);
}

std::string MetricStore::exposition() const {
  // The keys as they are now, taken under the lock (entries are never removed or moved), then
  // rendered without it, so a call's new key does not wait for a scrape.
  std::vector<const KeyMetrics*> keys;
  {
    const std::lock_guard lock(making_);
    for (const auto& k : keys_) keys.push_back(k.get());
  }
  keys.push_back(&over_limit_);
  std::string out;
  out.reserve(256 + keys.size() * 1024);

  family(out, "recourse_calls_total", "counter", "Calls that ended, by key, outcome and final reason code.");
  for (const KeyMetrics* k : keys) {
    for (const auto& [outcome, counters] : {std::pair{"success", &k->succeeded}, std::pair{"failure", &k->failed}})
      counters->for_each([&](std::string_view reason, std::uint64_t n) {
        Sample(out, "recourse_calls_total")
            .label("key", k->key)
            .label("outcome", outcome)
            .label("reason", reason)
            .value(n);
      });
  }

  family(out, "recourse_attempts_total", "counter", "Attempts made, by key and the attempt's reason code.");
  for (const KeyMetrics* k : keys)
    k->attempts.for_each([&](std::string_view reason, std::uint64_t n) {
      Sample(out, "recourse_attempts_total").label("key", k->key).label("reason", reason).value(n);
    });

  family(out, "recourse_hedges_total", "counter", "Hedges, by key and event (spawned, cancelled, not_started).");
  for (const KeyMetrics* k : keys)
    for (std::size_t e = 0; e < hedge_event_kinds; ++e)
      if (const std::uint64_t n = k->hedges[e].load(std::memory_order_relaxed); n > 0)
        Sample(out, "recourse_hedges_total").label("key", k->key).label("event", hedge_event_names[e]).value(n);

  family(out, "recourse_budget_decisions_total", "counter", "Budget decisions, by budget and decision.");
  const std::size_t budgets = budgets_used_.load(std::memory_order_acquire);
  const auto budget_samples = [&](const BudgetMetrics& b) {
    Sample(out, "recourse_budget_decisions_total")
        .label("budget", b.name)
        .label("decision", "allowed")
        .value(b.allowed.load(std::memory_order_relaxed));
    Sample(out, "recourse_budget_decisions_total")
        .label("budget", b.name)
        .label("decision", "denied")
        .value(b.denied.load(std::memory_order_relaxed));
  };
  for (std::size_t i = 0; i < budgets; ++i) budget_samples(*budgets_[i]);
  if (budget_overflow_.allowed.load(std::memory_order_relaxed) +
          budget_overflow_.denied.load(std::memory_order_relaxed) >
      0)
    budget_samples(budget_overflow_);

  family(out, "recourse_circuit_state", "gauge",
         "The key's circuit breaker: 1 for its current state, 0 for the others.");
  for (const KeyMetrics* k : keys)
    if (const int state = k->circuit_state.load(std::memory_order_relaxed); state >= 0)
      for (std::size_t s = 0; s < circuit_states; ++s)
        Sample(out, "recourse_circuit_state")
            .label("key", k->key)
            .label("state", circuit_state_names[s])
            .value(static_cast<int>(s) == state ? 1 : 0);

  family(out, "recourse_circuit_transitions_total", "counter", "Circuit breaker state changes, by key, from and to.");
  for (const KeyMetrics* k : keys)
    for (std::size_t from = 0; from < circuit_states; ++from)
      for (std::size_t to = 0; to < circuit_states; ++to)
        if (const std::uint64_t n = k->transitions[from][to].load(std::memory_order_relaxed); n > 0)
          Sample(out, "recourse_circuit_transitions_total")
              .label("key", k->key)
              .label("from", circuit_state_names[from])
              .label("to", circuit_state_names[to])
              .value(n);

  family(out, "recourse_call_duration_seconds", "histogram", "Call duration from start to end, by key.");
  for (const KeyMetrics* k : keys) {
    const DurationHistogram& h = k->duration;
    if (k == &over_limit_) {  // shown once a key went past the limit
      std::uint64_t calls = 0;
      for (std::size_t b = 0; b <= h.bounds().size(); ++b) calls += h.bucket(b);
      if (calls == 0) continue;
    }
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= h.bounds().size(); ++b) {
      cumulative += h.bucket(b);
      std::string le;
      if (b == h.bounds().size()) le = "+Inf";
      else append_seconds(le, std::chrono::duration<double>(h.bounds()[b]).count());
      Sample(out, "recourse_call_duration_seconds_bucket").label("key", k->key).label("le", le).value(cumulative);
    }
    Sample(out, "recourse_call_duration_seconds_sum")
        .label("key", k->key)
        .seconds(static_cast<double>(h.sum_ns()) / 1e9);
    Sample(out, "recourse_call_duration_seconds_count").label("key", k->key).value(cumulative);
  }

  family(out, "recourse_config_generation", "gauge",
         "The configuration generation running, as last told to this exporter.");
  Sample(out, "recourse_config_generation").value(generation.load(std::memory_order_relaxed));
  family(out, "recourse_config_reloads_total", "counter", "Configurations offered, by result (accepted, refused).");
  Sample(out, "recourse_config_reloads_total")
      .label("result", "accepted")
      .value(reloads_accepted.load(std::memory_order_relaxed));
  Sample(out, "recourse_config_reloads_total")
      .label("result", "refused")
      .value(reloads_refused.load(std::memory_order_relaxed));
  if (feeds != nullptr)
    if (const std::optional<RunningFeed> feed = feeds->running_feed()) feed_exposition(out, *feed);
  if (stats != nullptr) {
    family(out, "recourse_observer_errors_total", "counter",
           "Observer callbacks that threw (the executor contained them).");
    Sample(out, "recourse_observer_errors_total").value(stats->observer_errors.load(std::memory_order_relaxed));
    family(out, "recourse_over_limit_calls_total", "counter", "Calls of keys past the executor's max_keys.");
    Sample(out, "recourse_over_limit_calls_total").value(stats->over_limit_calls.load(std::memory_order_relaxed));
  }
  return out;
}

}  // namespace recourse::plugins::prometheus
