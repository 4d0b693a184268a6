// recourse.host.simulate:spec — what a simulation is: the dependency model, the clients, the
// variants ([simulation] in TOML, docs/simulate.md).
module;
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

export module recourse.host.simulate:spec;

import recourse.core;

export namespace recourse::host::simulate {

// Bounds that keep a run's time arithmetic and its memory finite (docs/simulate.md, "Limits").
// Every duration of the model — a latency, the error latency, the think time, the bucket — is at
// most an hour, and so is every latency drawn (a lognormal's tail, overload and phase
// multipliers are capped there).
inline constexpr Duration max_model_duration = std::chrono::hours(1);
// Phases start and end within the first day of the run.
inline constexpr Duration max_phase_time = std::chrono::hours(24);
// A variant's run may span this much virtual time; past it the run stops with an error.
inline constexpr Duration max_run_span = std::chrono::days(30);
// Time series (load, budget level) keep at most this many buckets: a run that outgrows them
// merges neighbours, doubling the bucket, and the summary says so.
inline constexpr std::size_t max_buckets = 100'000;

// One part of a latency mixture: `weight` of the requests take a latency drawn from it.
struct LatencyPart {
  enum class Distribution : std::uint8_t { constant, uniform, lognormal };
  Distribution distribution = Distribution::constant;
  double weight = 1;
  Duration value{};   // constant
  Duration low{};     // uniform
  Duration high{};    // uniform
  Duration median{};  // lognormal
  double sigma = 0;   // lognormal: the standard deviation of ln(latency)
};

// What a failed request looks like to the caller.
struct Failure {
  enum class Kind : std::uint8_t { error, http, grpc, exception };
  Kind kind = Kind::error;  // error: a std::error_code (io_error)
  int http_status = 503;
  int grpc_code = 14;  // UNAVAILABLE
  std::string text;    // as configured, for the description
};

// Above either limit the dependency is overloaded: latency × overload_latency, and at least
// overload_error_rate of requests fail.
struct Capacity {
  std::optional<std::int64_t> concurrency;  // requests in flight
  std::optional<double> rps;                // requests started in the last second
  double overload_latency = 1;
  double overload_error_rate = 0;
};

// From `start` to `end` (since the run began) the dependency behaves differently.
struct Phase {
  Duration start{};
  Duration end{};
  std::string label;
  std::optional<double> error_rate;
  double latency_multiplier = 1;
};

struct DependencyModel {
  std::vector<LatencyPart> latency;  // weights need not sum to 1
  double error_rate = 0;
  Failure failure;
  std::optional<Duration> error_latency;  // failures answer after this instead of a drawn latency
  Capacity capacity;
  std::vector<Phase> phases;
};

struct Variant {
  std::string name;
  std::string key;  // the calls' key: its policy is what the variant compares
};

struct SimulationSpec {
  std::string description;
  std::uint64_t calls = 10000;  // per variant
  int clients = 20;             // concurrent callers
  std::uint64_t seed = 1;
  std::optional<double> rate;   // calls per second offered (open loop); absent: closed loop
  Duration think_time{};        // closed loop: pause between a client's calls
  Duration bucket = std::chrono::seconds(1);  // width of the time series
  int sample = 50;              // calls per variant whose timelines go to timelines.jsonl
  SourceLocation where;         // the [simulation] table
  SourceLocation rate_where;    // `rate`, when given
  DependencyModel dependency;
  std::vector<Variant> variants;
};

}  // namespace recourse::host::simulate
