// recourse.host.report:data — what the simulator hands to the report: per policy variant, the
// counts, latencies and time series of its run, plus a few sampled calls' timelines. Plain
// values, so the report knows nothing of how they were produced (and tests build them by hand).
module;
#include <cstdint>
#include <string>
#include <vector>

export module recourse.host.report:data;

export import recourse.core;

export namespace recourse::host::report {

// A span of virtual time (seconds from the start of the run): a phase of the dependency
// model, or a span the circuit spent in one state.
struct Interval {
  double start_s = 0;
  double end_s = 0;
  std::string label;
};

// How many calls ended with one final reason (docs/reason-codes.md).
struct ReasonCount {
  std::string reason;  // "max_attempts", "no_policy", ...
  std::uint64_t calls = 0;
};

// One policy variant's run.
struct VariantResult {
  std::string name;  // "3 attempts + budget"
  std::string key;   // the policy key the variant's calls use
  std::uint64_t calls = 0;
  std::uint64_t successes = 0;
  std::vector<double> latencies_ms;                // one per call (any order), successful or not
  // The failed calls by final reason, most frequent first: a variant whose key has no policy
  // shows as no_policy here rather than as an unexplained 0% success.
  std::vector<ReasonCount> final_reasons;
  std::vector<std::uint64_t> attempts_histogram;   // [n] = calls that made n attempts reaching the dependency
  std::uint64_t dependency_attempts = 0;           // attempts that reached the dependency
  std::uint64_t budget_denials = 0;
  std::uint64_t hedges_spawned = 0;
  std::uint64_t hedges_won = 0;
  double circuit_open_s = 0;                       // time the key's circuit spent open (and half-open)
  double bucket_s = 1;                             // width of the time series buckets
  std::vector<double> dependency_load;             // attempts reaching the dependency per second, per bucket
  std::vector<double> budget_tokens;               // the budget's level at each bucket end; empty: no budget
  std::vector<Interval> circuit_states;            // "closed" / "open" / "half_open", covering the run
};

// A call whose whole timeline goes to timelines.jsonl and trace.json.
struct SampledCall {
  std::string variant;  // VariantResult::name of the variant it ran under
  std::uint64_t call_index = 0;
  Timeline timeline;
};

struct ReportData {
  std::string title;  // "recourse simulate config/recourse.toml"
  std::string config_label;
  std::uint64_t seed = 0;
  int clients = 0;
  std::uint64_t calls_per_variant = 0;
  double duration_s = 0;         // virtual time the run spans
  std::vector<Interval> phases;  // dependency phases, e.g. {10, 40, "outage: 100% errors"}
  std::string model_text;        // a one-paragraph description of the dependency model
  std::vector<VariantResult> variants;
  std::vector<std::string> notes;  // said under the summary: e.g. a time-series bucket the run had to widen
  std::vector<SampledCall> samples;
};

}  // namespace recourse::host::report
