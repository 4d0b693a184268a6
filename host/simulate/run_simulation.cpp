// Running a simulation: each variant on its own runtime (executor, plugins, budgets), virtual
// clock and dependency, with `clients` threads issuing the calls.
//
// Determinism: every client thread is a worker of the variant's VirtualClock (and the
// executor's hedge threads are, while they run a hedge), so time moves only when all of them
// wait, and then one event at a time. The clients start held (time cannot move before all have
// entered) and each first sleeps to its own start offset, so from the first event on the run is
// one sequence — the same for the same seed, whatever the OS does with the threads.
//
// Bounds: a run stops with an error past max_run_span of virtual time, and its time series
// stay within max_buckets (time_series.cppm), so no model that validates can exhaust memory.
module;
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <expected>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

module recourse.host.simulate;

import :cpu_pinning;
import :dependency;
import :run_observer;
import :time_series;

namespace recourse::host::simulate {

// What the simulated dependency hands back: a value with the protocol status it carries.
struct SimulatedResponse {
  ProtocolStatus status;
};

ProtocolStatus recourse_protocol_status(const SimulatedResponse& response) { return response.status; }

namespace {

using namespace std::chrono_literals;

struct CallRecord {
  double latency_ms = 0;
  std::uint64_t attempts = 0;
  bool success = false;
  std::string_view reason;  // a failed call's final reason (static, or a loaded plugin's)
};

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// "2.5 h", "12 days": a span for a message.
std::string span_text(double s) {
  if (s < 120) return fmt::format("{:.3g} s", s);
  if (s < 2 * 3600) return fmt::format("{:.3g} min", s / 60);
  if (s < 2 * 86400) return fmt::format("{:.3g} h", s / 3600);
  return fmt::format("{:.4g} days", s / 86400);
}

// Failed calls per final reason, most frequent first (ties by name, for stable output).
std::vector<report::ReasonCount> final_reasons(const std::vector<CallRecord>& records) {
  std::map<std::string, std::uint64_t, std::less<>> counts;
  for (const CallRecord& r : records)
    if (!r.success) ++counts[std::string(r.reason.empty() ? "unknown" : r.reason)];
  std::vector<report::ReasonCount> out;
  for (auto& [reason, calls] : counts) out.push_back({reason, calls});
  std::ranges::sort(out, [](const report::ReasonCount& a, const report::ReasonCount& b) {
    return a.calls != b.calls ? a.calls > b.calls : a.reason < b.reason;
  });
  return out;
}

// The variant's budget worth charting: the retry budget its policy names, else the hedge one.
std::shared_ptr<Budget> charted_budget(const Config& config, const Runtime& runtime, std::string_view key) {
  const auto parsed = Key::parse(key);
  if (!parsed) return nullptr;
  const Policy policy = resolve(config.policies, *parsed).policy;
  for (const std::string& name : {policy.retry.budget.name, policy.hedge.enabled ? policy.hedge.budget.name : ""}) {
    if (name.empty()) continue;
    for (const auto& [budget_name, budget] : runtime.running()->budgets)
      if (budget_name == name && budget->level()) return budget;
  }
  return nullptr;
}

class VariantRun {
 public:
  VariantRun(const Config& config, const SimulationSpec& spec, const Variant& variant, std::uint64_t calls,
             int clients, std::uint64_t seed, report::ProgressBar& progress)
      : config_(config),
        spec_(spec),
        variant_(variant),
        calls_(calls),
        clients_(clients),
        seed_(seed),
        progress_(progress),
        clock_(std::make_shared<VirtualClock>()),
        origin_(clock_->now()),
        dependency_(spec.dependency, seed ^ 0x5eed, origin_, spec.bucket),
        observer_(std::make_shared<RunObserver>(*clock_, origin_)),
        budget_levels_(spec.bucket, max_buckets) {}

  // `notes` gains a line when the run had to widen its time series' bucket.
  std::expected<report::VariantResult, ConfigErrors> run(std::vector<report::SampledCall>& samples, double& end_s,
                                                         std::vector<std::string>& notes) {
    // One runtime per variant: `recourse simulate` prints the config's deprecations once.
    auto runtime = build_runtime(config_, RuntimeOptions{.clock = clock_,
                                                         .random = std::make_shared<SplitMixRandom>(seed_),
                                                         .extra_observers = {observer_},
                                                         .log_deprecations = false});
    if (!runtime) return std::unexpected(std::move(runtime.error()));
    Executor& executor = *(*runtime)->executor;
    budget_ = charted_budget(config_, **runtime, variant_.key);
    plan_arrivals();
    records_.assign(calls_, CallRecord{});
    const std::uint64_t stride = spec_.sample > 0 ? std::max<std::uint64_t>(1, calls_ / static_cast<std::uint64_t>(spec_.sample)) : 0;
    timelines_.assign(stride == 0 ? 0 : std::min<std::uint64_t>(calls_, static_cast<std::uint64_t>(spec_.sample)), Timeline{});

    if (budget_) schedule_budget_sample();
    {
      for (int c = 0; c < clients_; ++c) clock_->hold();  // no time passes before every client is in
      std::vector<std::jthread> threads;
      threads.reserve(static_cast<std::size_t>(clients_));
      for (int c = 0; c < clients_; ++c) threads.emplace_back([this, &executor, c, stride] { client(executor, c, stride); });
    }
    const TimePoint end = clock_->now();
    stop_sampling();
    end_s = seconds(end - origin_);
    if (const std::uint64_t issued = overran_.load(); issued != 0)
      return std::unexpected(ConfigErrors{{ConfigError{
          spec_.where, "simulation",
          fmt::format("variant \"{}\": the run passed {} of virtual time after {} of {} calls, the most a run may "
                      "span; use fewer calls, more clients, or shorter latencies and think time",
                      variant_.name, span_text(seconds(max_run_span)), issued - 1, calls_)}}});

    report::VariantResult result;
    result.name = variant_.name;
    result.key = variant_.key;
    result.calls = calls_;
    // One bucket for both series, and no more than max_buckets of it over the whole run.
    const Duration span = std::max<Duration>(end - origin_, Duration(1));
    Duration width = std::max(dependency_.bucket(), budget_levels_.bucket());
    while (static_cast<std::size_t>((span + width - Duration(1)) / width) > max_buckets) width *= 2;
    dependency_.widen_to(width);
    budget_levels_.widen_to(width);
    if (width != spec_.bucket)
      notes.push_back(fmt::format("{}: the run spans {} of virtual time, so its time series use {} buckets instead of {} "
                                  "(at most {} buckets)",
                                  variant_.name, span_text(end_s), format_duration(width),
                                  format_duration(spec_.bucket), max_buckets));
    result.bucket_s = seconds(width);
    result.final_reasons = final_reasons(records_);
    for (const CallRecord& r : records_) {
      result.latencies_ms.push_back(r.latency_ms);
      result.successes += r.success ? 1 : 0;
      result.dependency_attempts += r.attempts;
      if (result.attempts_histogram.size() <= r.attempts) result.attempts_histogram.resize(r.attempts + 1, 0);
      ++result.attempts_histogram[r.attempts];
    }
    result.budget_denials = observer_->budget_denials.load();
    result.hedges_spawned = observer_->hedges_spawned.load();
    result.hedges_won = observer_->hedges_won.load();
    const auto buckets = static_cast<std::size_t>((span + width - Duration(1)) / width);
    result.dependency_load = dependency_.load_per_second(std::max<std::size_t>(buckets, 1));
    result.budget_tokens = budget_levels_.samples();
    circuit_states(result, end_s);
    for (std::size_t s = 0; s < timelines_.size(); ++s)
      samples.push_back(report::SampledCall{variant_.name, s * stride, std::move(timelines_[s])});
    return result;
  }

 private:
  // Open loop: exponential gaps at `rate` (a Poisson process), drawn from the seed.
  void plan_arrivals() {
    if (!spec_.rate) return;
    SplitMixRandom random(seed_ ^ 0xa77);
    arrivals_.reserve(calls_);
    // run_simulation refused a rate whose calls would span more than max_run_span; a draw
    // past twice that (which the clients then refuse) still converts without overflow.
    const double horizon = 2 * seconds(max_run_span);
    double at = 0;
    for (std::uint64_t i = 0; i < calls_; ++i) {
      at = std::min(at - std::log(1.0 - random.next_unit()) / *spec_.rate, horizon);
      arrivals_.push_back(origin_ + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(at)));
    }
  }

  void client(Executor& executor, int index, std::uint64_t stride) {
    clock_->enter(true);  // the hold taken for it
    // Distinct start offsets: from here on the clients run one at a time.
    clock_->sleep_until(origin_ + std::chrono::microseconds(index), {});
    for (;;) {
      const std::uint64_t i = next_call_.fetch_add(1, std::memory_order_relaxed);
      if (i >= calls_) break;
      // Past the horizon the run is over: the clients stop and run() reports it.
      const TimePoint due = arrivals_.empty() ? clock_->now() : std::max(arrivals_[i], clock_->now());
      if (due - origin_ > max_run_span) {
        std::uint64_t none = 0;
        overran_.compare_exchange_strong(none, i + 1);
        next_call_.store(calls_);
        break;
      }
      if (!arrivals_.empty()) clock_->sleep_until(due, {});
      one_call(executor, i, stride);
      progress_.advance();
      if (arrivals_.empty() && spec_.think_time > Duration::zero())
        clock_->sleep_until(clock_->now() + spec_.think_time, {});
    }
    clock_->leave();
  }

  void one_call(Executor& executor, std::uint64_t i, std::uint64_t stride) {
    std::atomic<std::uint64_t> attempts{0};
    CallOptions options;
    if (stride != 0 && i % stride == 0 && i / stride < timelines_.size()) options.timeline = &timelines_[i / stride];
    const TimePoint start = clock_->now();
    const auto result = executor.try_run(
        variant_.key,
        [&](const Attempt& attempt) -> std::expected<SimulatedResponse, std::error_code> {
          attempts.fetch_add(1, std::memory_order_relaxed);
          const Dependency::Answer answer = dependency_.begin(clock_->now());
          const bool finished = clock_->sleep_until(clock_->now() + answer.latency, attempt.stop);
          dependency_.end();
          if (!finished) return std::unexpected(std::make_error_code(std::errc::operation_canceled));
          if (!answer.fails) return SimulatedResponse{};
          const Failure& failure = spec_.dependency.failure;
          switch (failure.kind) {
            case Failure::Kind::http: return SimulatedResponse{{.http_status = failure.http_status, .http_method = "GET"}};
            case Failure::Kind::grpc: return SimulatedResponse{{.grpc_code = failure.grpc_code}};
            case Failure::Kind::exception: throw std::runtime_error("simulated failure");
            case Failure::Kind::error: break;
          }
          return std::unexpected(std::make_error_code(std::errc::io_error));
        },
        options);
    records_[i] = CallRecord{seconds(clock_->now() - start) * 1000.0, attempts.load(), result.has_value(),
                             result ? std::string_view() : result.error().reason};
  }

  // The budget's level at the end of each bucket, read by a timer chain on the clock.
  void schedule_budget_sample() {
    sample_timer_ = clock_->schedule(origin_ + budget_levels_.next_due(), [this] {
      budget_levels_.push(budget_->level().value_or(0.0));
      if (!sampling_stopped_.load()) schedule_budget_sample();
    });
  }

  void stop_sampling() {
    sampling_stopped_.store(true);
    if (sample_timer_ != 0) clock_->cancel(sample_timer_);
  }

  void circuit_states(report::VariantResult& result, double end_s) const {
    double since = 0;
    std::string state = "closed";
    for (const auto& [at, to] : observer_->transitions()) {
      if (at > since) result.circuit_states.push_back({since, at, state});
      if (state != "closed") result.circuit_open_s += at - since;
      since = at;
      state = std::string(to_string(to));
    }
    if (end_s > since) result.circuit_states.push_back({since, end_s, state});
    if (state != "closed") result.circuit_open_s += end_s - since;
  }

  const Config& config_;
  const SimulationSpec& spec_;
  const Variant& variant_;
  const std::uint64_t calls_;
  const int clients_;
  const std::uint64_t seed_;
  report::ProgressBar& progress_;
  std::shared_ptr<VirtualClock> clock_;
  const TimePoint origin_;
  Dependency dependency_;
  std::shared_ptr<RunObserver> observer_;
  std::shared_ptr<Budget> budget_;
  std::vector<TimePoint> arrivals_;
  std::vector<CallRecord> records_;
  std::vector<Timeline> timelines_;
  std::atomic<std::uint64_t> next_call_{0};
  std::atomic<std::uint64_t> overran_{0};  // 1 + the first call not issued because the run passed max_run_span
  BucketSamples budget_levels_;
  TimerId sample_timer_ = 0;
  std::atomic<bool> sampling_stopped_{false};
};

}  // namespace

std::expected<report::ReportData, ConfigErrors> run_simulation(const Config& config, const SimulationSpec& spec,
                                                               const RunOptions& options) {
  std::vector<Variant> variants = spec.variants;
  if (!options.compare.empty()) {
    variants.clear();
    for (const std::string& key : options.compare) variants.push_back({key, key});
  }
  if (variants.empty())
    return std::unexpected(ConfigErrors{{ConfigError{{config.file.string(), 0, 0}, "simulation.variants",
                                                     "nothing to simulate: add [[simulation.variants]] or pass --compare KEY,KEY"}}});
  report::ReportData data;
  data.title = "recourse simulate " + config.file.string();
  data.config_label = config.file.string();
  data.seed = options.seed.value_or(spec.seed);
  data.clients = options.clients.value_or(spec.clients);
  data.calls_per_variant = options.calls.value_or(spec.calls);
  data.model_text = describe(spec);
  for (const Phase& phase : spec.dependency.phases)
    data.phases.push_back({seconds(phase.start), seconds(phase.end), phase.label});

  // Open loop: the arrivals alone must fit in a run's span.
  if (spec.rate && static_cast<double>(data.calls_per_variant) / *spec.rate > seconds(max_run_span))
    return std::unexpected(ConfigErrors{{ConfigError{
        spec.rate_where, "simulation.rate",
        fmt::format("{} calls at {}/s arrive over {} of virtual time; a run may span at most {}: raise the rate or "
                    "lower the calls",
                    data.calls_per_variant, *spec.rate, span_text(static_cast<double>(data.calls_per_variant) / *spec.rate),
                    span_text(seconds(max_run_span)))}}});

  std::optional<report::ProgressBar> bar;
  const std::uint64_t total = data.calls_per_variant * variants.size();
  if (options.progress) bar.emplace(total, "simulating");
  else bar.emplace(total, "simulating", stderr, false);
  report::ProgressBar& progress = *bar;

  // Each variant on its own runtime, clock and dependency: nothing is shared but the config
  // (read only) and the progress bar, so variants run side by side and each gives what it would
  // alone. Gathered in the config's order, the report is the same for any number of jobs.
  struct VariantOutcome {
    std::optional<std::expected<report::VariantResult, ConfigErrors>> result;
    std::vector<report::SampledCall> samples;
    std::vector<std::string> notes;
    double end_s = 0;
  };
  std::vector<VariantOutcome> outcomes(variants.size());
  const std::vector<int> cpus = allowed_cpus();
  const std::size_t jobs =
      std::clamp<std::size_t>(options.jobs.value_or(std::max<std::size_t>(cpus.size(), 1)), 1, variants.size());
  std::atomic<std::size_t> next_variant{0};
  const auto job = [&](std::size_t index) {
    if (!cpus.empty()) pin_calling_thread(cpus[index % cpus.size()]);
    for (std::size_t v; (v = next_variant.fetch_add(1)) < variants.size();) {
      if (jobs == 1) progress.set_label(variants[v].name);
      VariantOutcome& out = outcomes[v];
      try {
        VariantRun run(config, spec, variants[v], data.calls_per_variant, data.clients, data.seed, progress);
        out.result = run.run(out.samples, out.end_s, out.notes);
      } catch (const std::exception& e) {
        // On a job's thread an escaping exception would end the process: it becomes the
        // variant's error instead (an out-of-memory on a huge run, a plugin that throws).
        out.result = std::unexpected(ConfigErrors{
            {ConfigError{spec.where, "simulation", fmt::format("variant \"{}\": {}", variants[v].name, e.what())}}});
      }
      // Variants after a failed one need not run: the report is the first failure's error.
      // Every variant before it was taken earlier and runs to its end, so the error reported
      // is the earliest in the config's order, as when they run one after another.
      if (!*out.result) next_variant.store(variants.size());
    }
  };
  if (jobs > 1) progress.set_label(fmt::format("{} variants, {} at a time", variants.size(), jobs));
  {
    // On threads of their own even for one job: a pinned thread must not be the caller's.
    std::vector<std::jthread> threads;
    threads.reserve(jobs);
    for (std::size_t j = 0; j < jobs; ++j) threads.emplace_back(job, j);
  }
  for (VariantOutcome& out : outcomes) {
    if (!out.result) break;  // not run: after a failure (which came first)
    if (!*out.result) return std::unexpected(std::move(out.result->error()));
    data.duration_s = std::max(data.duration_s, out.end_s);
    data.variants.push_back(std::move(**out.result));
    std::ranges::move(out.samples, std::back_inserter(data.samples));
    std::ranges::move(out.notes, std::back_inserter(data.notes));
  }
  progress.finish();
  return data;
}

}  // namespace recourse::host::simulate
