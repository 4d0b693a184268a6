// recourse.test.sample_report — a realistic ReportData for the report's tests and for
// report_sample (the page the headless Chromium test renders). It is made up, not simulated
// through the executor: a seeded toy model of four policy variants calling a dependency that
// fails completely from 20 s to 35 s and is slow from 45 s to 52 s. Enough structure to exercise
// every chart: a retry storm, a budget running dry, a circuit opening and probing, hedges.
module;
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

export module recourse.test.sample_report;

export import recourse.host.report;

namespace recourse::test {
namespace {

using host::report::Interval;
using host::report::ReportData;
using host::report::SampledCall;
using host::report::VariantResult;

// splitmix64: a tiny generator whose sequence is fixed by its seed on every platform.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  // A rough normal deviate (sum of uniforms): no libm differences to worry about.
  double normal() {
    double sum = 0;
    for (int i = 0; i < 12; ++i) sum += uniform();
    return sum - 6;
  }

 private:
  std::uint64_t state_;
};

constexpr double run_s = 60;
constexpr double outage_start = 20, outage_end = 35, slow_start = 45, slow_end = 52;

struct VariantSpec {
  std::string_view name, key;
  int max_attempts;
  bool budget, circuit, hedge;
};

constexpr VariantSpec specs[]{
    {"no retries", "sim.no_retries", 1, false, false, false},
    {"3 attempts", "sim.retries", 3, false, false, false},
    {"3 attempts + budget", "sim.budgeted", 3, true, false, false},
    {"budget + circuit + hedge", "sim.guarded", 3, true, true, true},
};

struct AttemptResult {
  double latency_ms;
  bool ok;
};

// What the dependency does with one attempt sent at time t.
AttemptResult dependency(Random& random, double t) {
  if (t >= outage_start && t < outage_end) return {1.5 + random.uniform(), false};
  double ms = 4 * std::exp(0.35 * random.normal());
  if (random.uniform() < 0.01) ms += 100 + 200 * random.uniform();  // a heavy tail
  if (t >= slow_start && t < slow_end) ms += 80;
  return {ms, random.uniform() >= 0.01};
}

TimePoint at(double seconds) {
  return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds)));
}

struct Circuit {
  enum State { closed, open, half_open } state = closed;
  int failures = 0;
  double opened_at = 0;
  std::vector<Interval> spans{{0, 0, "closed"}};

  static std::string_view label(State s) { return s == closed ? "closed" : s == open ? "open" : "half_open"; }
  void move(State to, double t) {
    if (to == state) return;
    spans.back().end_s = t;
    spans.push_back({t, t, std::string(label(to))});
    state = to;
  }
};

VariantResult run_variant(const VariantSpec& spec, std::uint64_t seed, std::uint64_t calls,
                          std::vector<SampledCall>& samples) {
  Random random(seed);
  VariantResult v;
  v.name = spec.name;
  v.key = spec.key;
  v.calls = calls;
  v.bucket_s = 0.5;
  const auto buckets = static_cast<std::size_t>(run_s / v.bucket_s);
  v.dependency_load.assign(buckets, 0);
  if (spec.budget) v.budget_tokens.assign(buckets, 0);
  v.attempts_histogram.assign(static_cast<std::size_t>(spec.max_attempts) * 2 + 1, 0);

  constexpr double capacity = 40, refill_per_s = 10;
  double tokens = capacity, tokens_at = 0;
  const auto refill = [&](double t) {
    tokens = std::min(capacity, tokens + (t - tokens_at) * refill_per_s);
    tokens_at = t;
  };
  std::size_t next_bucket_end = 0;
  Circuit circuit;
  std::map<std::string, std::uint64_t, std::less<>> failures;  // final reason → calls
  // Calls to keep whole: a healthy one, a few inside the outage, one in the slow phase.
  const double sample_times[]{5, 20.5, 24, 34, 47};

  for (std::uint64_t i = 0; i < calls; ++i) {
    const double start = run_s * (static_cast<double>(i) + random.uniform()) / static_cast<double>(calls);
    while (spec.budget && next_bucket_end < buckets && (next_bucket_end + 1) * v.bucket_s <= start) {
      refill((next_bucket_end + 1) * v.bucket_s);
      v.budget_tokens[next_bucket_end++] = tokens;
    }
    bool sampled = false;
    for (double s : sample_times) sampled = sampled || (start >= s && start - s < run_s / static_cast<double>(calls));
    Timeline timeline;
    timeline.key = std::string(spec.key);
    timeline.policy_id = std::string(spec.key);
    timeline.policy_source = PolicySource::static_config;
    timeline.start = at(start);
    timeline.circuit_state = CircuitState::closed;

    double t = start;
    int reached = 0, next_index = 0;
    bool ok = false;
    std::string_view final_reason = "max_attempts";
    if (spec.circuit && circuit.state == Circuit::open && start - circuit.opened_at >= 5)
      circuit.move(Circuit::half_open, start);
    if (spec.circuit && circuit.state != Circuit::closed) {
      timeline.circuit_state = circuit.state == Circuit::open ? CircuitState::open : CircuitState::half_open;
      timeline.circuit_probe = circuit.state == Circuit::half_open;
    }
    if (spec.circuit && circuit.state == Circuit::open) {
      final_reason = "circuit_open";
      t += 0.00005;
    } else {
      for (int attempt = 0; attempt < spec.max_attempts; ++attempt) {
        double backoff = 0;
        std::string_view budget_reason;
        if (attempt > 0) {
          backoff = 0.010 * (1 << (attempt - 1));
          if (spec.budget) {
            refill(t);
            if (tokens < 1) {
              ++v.budget_denials;
              final_reason = "budget_denied";
              break;
            }
            tokens -= 1;
            budget_reason = "allowed";
          } else {
            budget_reason = "no_budget";
          }
          t += backoff;
        }
        AttemptResult r = dependency(random, t);
        ++reached;
        v.dependency_load[std::min(buckets - 1, static_cast<std::size_t>(t / v.bucket_s))] += 1 / v.bucket_s;
        AttemptRecord record;
        record.index = next_index++;
        record.retry_index = attempt;
        record.start = at(t);
        record.backoff_before = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(backoff));
        record.budget_reason = budget_reason;
        // A hedge after 30 ms races a slow primary, when the circuit is closed; whichever
        // succeeds first ends the attempt, the other is cancelled then.
        std::vector<AttemptRecord> hedges;
        if (spec.hedge && r.ok && r.latency_ms > 30 && circuit.state == Circuit::closed) {
          ++v.hedges_spawned;
          const AttemptResult hedge = dependency(random, t + 0.030);
          ++reached;
          AttemptRecord h;
          h.index = next_index++;
          h.retry_index = attempt;
          h.is_hedge = true;
          h.hedge_index = 1;
          h.start = at(t + 0.030);
          h.kind = hedge.ok ? OutcomeKind::success : OutcomeKind::retryable;
          h.reason = hedge.ok ? "success" : "retryable_error";
          h.budget_reason = spec.budget ? "allowed" : "no_budget";
          if (hedge.ok && 30 + hedge.latency_ms < r.latency_ms) {
            ++v.hedges_won;
            r.latency_ms = 30 + hedge.latency_ms;
            record.kind = OutcomeKind::abort;
            record.reason = "cancelled";
          } else {
            h.kind = OutcomeKind::abort;
            h.reason = "cancelled";
          }
          h.end = at(t + std::min(0.030 + hedge.latency_ms / 1000, r.latency_ms / 1000));
          hedges.push_back(h);
        }
        record.end = at(t + r.latency_ms / 1000);
        if (record.reason.empty()) {
          record.kind = r.ok ? OutcomeKind::success : OutcomeKind::retryable;
          record.reason = r.ok ? "success" : "retryable_error";
        }
        timeline.attempts.push_back(record);
        timeline.attempts.insert(timeline.attempts.end(), hedges.begin(), hedges.end());
        t += r.latency_ms / 1000;
        if (spec.circuit) {
          circuit.failures = r.ok ? 0 : circuit.failures + 1;
          if (r.ok) circuit.move(Circuit::closed, t);
          else if (circuit.state == Circuit::half_open || circuit.failures >= 5) {
            circuit.move(Circuit::open, t);
            circuit.opened_at = t;
          }
        }
        if (r.ok) {
          ok = true;
          final_reason = "success";
          break;
        }
        if (spec.circuit && circuit.state == Circuit::open) {
          final_reason = "circuit_open";
          break;
        }
      }
    }
    if (ok) ++v.successes;
    else ++failures[std::string(final_reason)];
    v.dependency_attempts += static_cast<std::uint64_t>(reached);
    ++v.attempts_histogram[static_cast<std::size_t>(reached)];
    v.latencies_ms.push_back((t - start) * 1000);
    timeline.end = at(t);
    timeline.final_reason = final_reason;
    if (sampled) samples.push_back({std::string(spec.name), i, std::move(timeline)});
  }
  if (spec.budget) {
    for (; next_bucket_end < buckets; ++next_bucket_end) {
      refill((next_bucket_end + 1) * v.bucket_s);
      v.budget_tokens[next_bucket_end] = tokens;
    }
  }
  if (spec.circuit) {
    circuit.spans.back().end_s = run_s;
    v.circuit_states = circuit.spans;
    for (const Interval& s : circuit.spans)
      if (s.label != "closed") v.circuit_open_s += s.end_s - s.start_s;
  }
  for (const auto& [reason, count] : failures) v.final_reasons.push_back({reason, count});
  std::ranges::sort(v.final_reasons,
                    [](const auto& a, const auto& b) { return a.calls != b.calls ? a.calls > b.calls : a.reason < b.reason; });
  // Trailing empty histogram slots say nothing.
  while (v.attempts_histogram.size() > 1 && v.attempts_histogram.back() == 0) v.attempts_histogram.pop_back();
  return v;
}

}  // namespace

export ReportData sample_report(std::uint64_t seed = 42, std::uint64_t calls_per_variant = 20000) {
  ReportData data;
  data.title = "recourse simulate config/simulations/outage.toml";
  data.config_label = "config/simulations/outage.toml";
  data.seed = seed;
  data.clients = 16;
  data.calls_per_variant = calls_per_variant;
  data.duration_s = run_s;
  data.phases = {{outage_start, outage_end, "outage: 100% errors"}, {slow_start, slow_end, "slow: +80 ms"}};
  data.model_text =
      "payments.Charge: about 4 ms per attempt (log-normal, 1% of attempts 100-300 ms slower), 1% transient "
      "errors; every attempt fails fast from 20 s to 35 s; 80 ms slower from 45 s to 52 s.";
  for (std::size_t i = 0; i < std::size(specs); ++i)
    data.variants.push_back(run_variant(specs[i], seed * 1000 + i, calls_per_variant, data.samples));
  return data;
}

}  // namespace recourse::test
