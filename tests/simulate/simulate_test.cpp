// The simulator: the two shipped reproductions within their stated tolerances, determinism
// (same seed, same bytes), phases seen in the load series, [simulation] errors located, the
// bounds that keep a run finite (durations, buckets, virtual span), and final reasons shown.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

import recourse.host.simulate;

namespace {

namespace sim = recourse::host::simulate;
namespace report = recourse::host::report;

const std::filesystem::path source_dir = RECOURSE_SOURCE_DIR;

struct Loaded {
  recourse::host::Config config;
  sim::SimulationSpec spec;
};

Loaded load(const std::filesystem::path& file) {
  ::setenv("RECOURSE_PLUGIN_DIR", RECOURSE_PLUGIN_DIR, 1);
  auto config = recourse::host::load_config(file);
  BOOST_REQUIRE_MESSAGE(config.has_value(), (config ? "" : recourse::host::to_string(config.error())));
  BOOST_REQUIRE(config->simulation.has_value());
  auto spec = sim::read_simulation(*config->simulation);
  BOOST_REQUIRE_MESSAGE(spec.has_value(), (spec ? "" : recourse::host::to_string(spec.error())));
  return {std::move(*config), std::move(*spec)};
}

report::ReportData run(const Loaded& loaded, std::uint64_t calls, std::uint64_t seed = 0,
                       std::optional<std::size_t> jobs = std::nullopt) {
  sim::RunOptions options;
  options.calls = calls;
  options.progress = false;
  options.jobs = jobs;
  if (seed != 0) options.seed = seed;
  auto data = sim::run_simulation(loaded.config, loaded.spec, options);
  BOOST_REQUIRE_MESSAGE(data.has_value(), (data ? "" : recourse::host::to_string(data.error())));
  return std::move(*data);
}

const report::VariantResult& variant(const report::ReportData& data, std::string_view name) {
  for (const auto& v : data.variants)
    if (v.name == name) return v;
  BOOST_FAIL("no variant " << name);
  return data.variants.front();
}

// A config given as text: policies and [simulation] together.
Loaded parse(std::string_view toml) {
  auto config = recourse::host::parse_config(std::string(toml), "sim.toml");
  BOOST_REQUIRE_MESSAGE(config.has_value(), (config ? "" : recourse::host::to_string(config.error())));
  BOOST_REQUIRE(config->simulation.has_value());
  auto spec = sim::read_simulation(*config->simulation);
  BOOST_REQUIRE_MESSAGE(spec.has_value(), (spec ? "" : recourse::host::to_string(spec.error())));
  return {std::move(*config), std::move(*spec)};
}

// The error run_simulation gives (it must give one).
std::string run_error(const Loaded& loaded, std::uint64_t calls) {
  sim::RunOptions options;
  options.calls = calls;
  options.progress = false;
  auto data = sim::run_simulation(loaded.config, loaded.spec, options);
  BOOST_REQUIRE_MESSAGE(!data.has_value(), "expected the run to fail");
  return recourse::host::to_string(data.error());
}

std::string errors_of(std::string_view simulation_toml) {
  auto config = recourse::host::parse_config(std::string(simulation_toml), "sim.toml");
  BOOST_REQUIRE_MESSAGE(config.has_value(), (config ? "" : recourse::host::to_string(config.error())));
  BOOST_REQUIRE(config->simulation.has_value());
  auto spec = sim::read_simulation(*config->simulation);
  BOOST_REQUIRE_MESSAGE(!spec.has_value(), "expected errors");
  return recourse::host::to_string(spec.error());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(simulate)

// SRE book, "Handling Overload": 3 attempts per request drive load on a dependency that
// rejects ~everything towards 3×; a 10% retry budget holds it near 1.1×. Tolerance: 3 attempts
// ≥ 2.85× (the 1% that succeed early stop sooner), budgeted 1.1× ± 0.05.
BOOST_AUTO_TEST_CASE(sre_book_retry_amplification_is_reproduced) {
  const auto data = run(load(source_dir / "config/scenarios/sre_retry_amplification.toml"), 6000);
  const auto plain = report::summarize(variant(data, "no retries"));
  const auto three = report::summarize(variant(data, "3 attempts"));
  const auto budgeted = report::summarize(variant(data, "3 attempts + 10% budget"));
  BOOST_TEST(plain.load_amplification == 1.0);
  BOOST_TEST(three.load_amplification >= 2.85);
  BOOST_TEST(three.load_amplification <= 3.0);
  BOOST_TEST(budgeted.load_amplification >= 1.05);
  BOOST_TEST(budgeted.load_amplification <= 1.15);
  BOOST_TEST(variant(data, "3 attempts + 10% budget").budget_denials > 0u);
}

// "The Tail at Scale": 1% of requests ~100× the median; hedging at p95 cuts p99.9 by an order
// of magnitude for about 5% extra load. Tolerance: p99.9 at least 10× lower; extra load 3%–8%.
BOOST_AUTO_TEST_CASE(tail_at_scale_hedging_is_reproduced) {
  const auto data = run(load(source_dir / "config/scenarios/tail_at_scale.toml"), 8000);
  const auto plain = report::summarize(variant(data, "no hedging"));
  const auto hedged = report::summarize(variant(data, "hedge at p95"));
  BOOST_TEST(plain.p999_ms >= 900.0);  // the slow 1% is the tail
  BOOST_TEST(hedged.p999_ms * 10.0 <= plain.p999_ms, "p99.9 " << plain.p999_ms << " → " << hedged.p999_ms);
  const double extra = hedged.load_amplification - plain.load_amplification;
  BOOST_TEST(extra >= 0.03, "extra load " << extra);
  BOOST_TEST(extra <= 0.08, "extra load " << extra);
  BOOST_TEST(variant(data, "hedge at p95").hedges_won > 0u);
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_report_byte_for_byte) {
  const Loaded loaded = load(source_dir / "config/recourse.toml");
  const auto first = run(loaded, 1500);
  const auto second = run(loaded, 1500);
  BOOST_TEST(report::html_report(first) == report::html_report(second));
  BOOST_TEST(report::timelines_jsonl(first) == report::timelines_jsonl(second));
  BOOST_TEST(report::trace_json(first) == report::trace_json(second));
  const auto other = run(loaded, 1500, 99);
  BOOST_TEST(report::summary_table(other) != report::summary_table(first));
}

// Variants side by side (each pinned to a CPU) give what they give one after another: the
// report's bytes do not depend on the number of jobs, nor on which variant finished first.
BOOST_AUTO_TEST_CASE(variants_run_side_by_side_give_the_same_report_as_one_after_another) {
  const Loaded loaded = load(source_dir / "config/recourse.toml");
  BOOST_REQUIRE_GE(loaded.spec.variants.size(), 3u);
  const auto serial = run(loaded, 1500, 0, 1);
  for (const std::size_t jobs : {2u, 3u, 64u}) {
    const auto parallel = run(loaded, 1500, 0, jobs);
    BOOST_TEST(report::html_report(parallel) == report::html_report(serial), jobs << " jobs");
    BOOST_TEST(report::timelines_jsonl(parallel) == report::timelines_jsonl(serial), jobs << " jobs");
    BOOST_TEST(report::trace_json(parallel) == report::trace_json(serial), jobs << " jobs");
    BOOST_TEST(report::summary_table(parallel) == report::summary_table(serial), jobs << " jobs");
  }
}

// multiplying inside it and not outside, and the breaker variant spends time open.
BOOST_AUTO_TEST_CASE(phases_shape_the_load_on_the_dependency) {
  const auto data = run(load(source_dir / "config/recourse.toml"), 20000);
  const auto& retries = variant(data, "3 attempts");
  const auto& plain = variant(data, "no retries");
  BOOST_REQUIRE(retries.dependency_load.size() > 35u);
  const auto at = [](const report::VariantResult& v, int second) { return v.dependency_load[static_cast<std::size_t>(second)]; };
  BOOST_TEST(at(retries, 20) > 2.5 * at(plain, 20));   // inside the outage: ~3×
  BOOST_TEST(at(retries, 10) < 1.2 * at(plain, 10));   // before it: ~1×
  BOOST_TEST(variant(data, "budget + circuit breaker").circuit_open_s > 1.0);
  BOOST_TEST(variant(data, "no retries").circuit_open_s == 0.0);
  BOOST_TEST(!variant(data, "3 attempts + budget").budget_tokens.empty());
}

BOOST_AUTO_TEST_CASE(bad_simulation_tables_are_located_errors) {
  const std::string errors = errors_of(
      "[simulation]\ncalls = 0\nbogus = 1\n[simulation.dependency]\n"
      "latency = { distribution = \"gamma\", median = \"5ms\" }\nerror_rate = 1.5\n"
      "[[simulation.variants]]\nname = \"x\"\n");
  BOOST_TEST(errors.find("sim.toml:2:9: simulation.calls") != std::string::npos, errors);
  BOOST_TEST(errors.find("sim.toml:3:1: simulation.bogus: unknown field") != std::string::npos, errors);  // at the key
  BOOST_TEST(errors.find("2:9") < errors.find("3:1"), "in file order: " << errors);
  BOOST_TEST(errors.find("unknown distribution \"gamma\"") != std::string::npos, errors);
  BOOST_TEST(errors.find("simulation.dependency.error_rate") != std::string::npos, errors);
  BOOST_TEST(errors.find("a variant needs the key") != std::string::npos, errors);
  BOOST_TEST(errors_of("[simulation]\ncalls = 10\n").find("[simulation.dependency] is required") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_empty_latency_mixture_is_a_located_error) {
  // Found by simulation_fuzz: `latency = []` passed, and the first draw read past an empty vector.
  const std::string errors =
      errors_of("[simulation.dependency]\nlatency = [\n  ]\n[[simulation.variants]]\nname = \"x\"\nkey = \"a.b\"\n");
  BOOST_TEST(errors.find("sim.toml:2:") != std::string::npos, errors);
  BOOST_TEST(errors.find("simulation.dependency.latency: the latency mixture is empty") != std::string::npos, errors);
}

BOOST_AUTO_TEST_SUITE_END()

// Issue 10, item 16: models that validate must not allocate per bucket without bound, overflow
// time arithmetic, or run for centuries of virtual time.
BOOST_AUTO_TEST_SUITE(simulate_bounds)

constexpr std::string_view single_attempt = "[defaults]\nretry.max_attempts = 1\n";

BOOST_AUTO_TEST_CASE(model_durations_past_an_hour_are_located_errors) {
  const std::string errors = errors_of(
      "[simulation]\nthink_time = \"1000000h\"\nbucket = \"2h\"\n"
      "[simulation.dependency]\nlatency = { value = \"1000000h\" }\nerror_latency = \"61m\"\n"
      "[[simulation.phases]]\nstart = \"1s\"\nend = \"25h\"\n"
      "[[simulation.variants]]\nkey = \"a.b\"\n");
  BOOST_TEST(errors.find("sim.toml:2:14: simulation.think_time: out of range: \"1000000h\"; at most 1h") != std::string::npos,
             errors);
  BOOST_TEST(errors.find("sim.toml:3:10: simulation.bucket: out of range: \"2h\"; at most 1h") != std::string::npos, errors);
  BOOST_TEST(errors.find("sim.toml:5:21: simulation.dependency.latency.value: out of range") != std::string::npos, errors);
  BOOST_TEST(errors.find("sim.toml:6:17: simulation.dependency.error_latency: out of range: \"61m\"") != std::string::npos,
             errors);
  BOOST_TEST(errors.find("end: out of range: \"25h\"; at most 24h") != std::string::npos, errors);
  BOOST_TEST(errors.find("must be after start") == std::string::npos, "no second error for the same end: " << errors);
  // The bounds themselves are allowed.
  const std::string fine = errors_of(
      "[simulation]\ncalls = 0\nthink_time = \"1h\"\nbucket = \"1h\"\n"
      "[simulation.dependency]\nlatency = { value = \"1h\" }\n"
      "[[simulation.phases]]\nstart = \"23h\"\nend = \"24h\"\n[[simulation.variants]]\nkey = \"a.b\"\n");
  BOOST_TEST(fine.find("out of range: \"") == std::string::npos, fine);
}

// A lognormal with a one-hour median and sigma 5 draws latencies of millions of hours (past
// the range of nanoseconds); every answer is capped at an hour instead.
BOOST_AUTO_TEST_CASE(no_drawn_latency_exceeds_an_hour) {
  const Loaded loaded = parse(std::string(single_attempt) +
                              "[simulation]\nclients = 4\n"
                              "[simulation.dependency]\nlatency = { distribution = \"lognormal\", median = \"1h\", sigma = 5 }\n"
                              "capacity = { concurrency = 1, overload_latency = 1000 }\n"
                              "[[simulation.variants]]\nkey = \"a.b\"\n");
  const auto data = run(loaded, 400);
  const auto& v = data.variants.at(0);
  const double hour_ms = 3600.0 * 1000.0;
  BOOST_REQUIRE_EQUAL(v.latencies_ms.size(), 400u);
  BOOST_TEST(*std::ranges::min_element(v.latencies_ms) >= 0.0);
  BOOST_TEST(*std::ranges::max_element(v.latencies_ms) <= hour_ms);
  BOOST_TEST(std::ranges::count(v.latencies_ms, hour_ms) > 100, "the tail is capped, not dropped");
}

// A tiny rate with a 1ms bucket: ~20 000 s of arrivals would be 20 million buckets; the run
// widens the bucket (by doubling) to stay within max_buckets, and says so.
BOOST_AUTO_TEST_CASE(a_long_run_with_a_tiny_bucket_widens_the_bucket_and_says_so) {
  const Loaded loaded = parse(std::string(single_attempt) +
                              "[budgets.b]\nplugin = \"unlimited\"\n"
                              "[policies.\"a.b\"]\nretry.max_attempts = 2\nretry.budget = { name = \"b\" }\n"
                              "[simulation]\nrate = 0.05\nbucket = \"1ms\"\nclients = 2\n"
                              "[simulation.dependency]\nlatency = { value = \"5ms\" }\nerror_rate = 0.5\n"
                              "[[simulation.variants]]\nname = \"slow trickle\"\nkey = \"a.b\"\n");
  const auto data = run(loaded, 1000);
  const auto& v = data.variants.at(0);
  BOOST_TEST(data.duration_s > 10000.0);
  BOOST_TEST(v.dependency_load.size() <= sim::max_buckets);
  BOOST_TEST(static_cast<double>(v.dependency_load.size()) * v.bucket_s >= data.duration_s, "the series covers the run");
  // The configured 1ms × 2^k.
  const double doublings = std::log2(v.bucket_s / 0.001);
  BOOST_TEST(std::abs(doublings - std::round(doublings)) < 1e-9);
  BOOST_TEST(v.bucket_s > 0.1);
  // Every arrival is still counted: load × bucket width sums to the attempts.
  double arrivals = 0;
  for (double load : v.dependency_load) arrivals += load * v.bucket_s;
  BOOST_TEST(std::abs(arrivals - static_cast<double>(v.dependency_attempts)) < 0.5);
  BOOST_REQUIRE_EQUAL(data.notes.size(), 1u);
  BOOST_TEST(data.notes[0].find("slow trickle: the run spans") != std::string::npos, data.notes[0]);
  BOOST_TEST(data.notes[0].find("instead of 1ms (at most 100000 buckets)") != std::string::npos, data.notes[0]);
  BOOST_TEST(report::summary_table(data).find("note: slow trickle: the run spans") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_short_run_keeps_its_bucket_and_has_no_note) {
  const auto data = run(load(source_dir / "config/scenarios/tail_at_scale.toml"), 500);
  for (const auto& v : data.variants) BOOST_TEST(v.bucket_s == 1.0);
  BOOST_TEST(data.notes.empty());
}

BOOST_AUTO_TEST_CASE(an_open_loop_spanning_more_than_30_days_is_refused_before_it_runs) {
  const Loaded loaded = parse(std::string(single_attempt) +
                              "[simulation]\nrate = 0.001\n"
                              "[simulation.dependency]\nlatency = { value = \"5ms\" }\n"
                              "[[simulation.variants]]\nkey = \"a.b\"\n");
  const std::string error = run_error(loaded, 10000);
  BOOST_TEST(error.find("sim.toml:4:8: simulation.rate: 10000 calls at 0.001/s arrive over 115.7 days of virtual time; "
                        "a run may span at most 30 days") != std::string::npos,
             error);
}

BOOST_AUTO_TEST_CASE(a_closed_loop_run_past_30_days_of_virtual_time_stops_with_an_error) {
  const Loaded loaded = parse(std::string(single_attempt) +
                              "[simulation]\nclients = 1\nthink_time = \"1h\"\n"
                              "[simulation.dependency]\nlatency = { value = \"1h\" }\n"
                              "[[simulation.variants]]\nname = \"hourly\"\nkey = \"a.b\"\n");
  const std::string error = run_error(loaded, 1000);  // 2000 h
  BOOST_TEST(error.find("sim.toml:3:1: simulation: variant \"hourly\": the run passed 30 days of virtual time after 361 "
                        "of 1000 calls") != std::string::npos,
             error);
}

// A failing variant's error is the report, whichever job meets it: the earliest in the
// config's order, as when the variants run one after another. Calls of an hour each pass the
// 30-day span after 720 of them; a 1ms per-attempt timeout keeps the first variant short.
BOOST_AUTO_TEST_CASE(the_first_failing_variant_in_order_is_the_error_with_any_number_of_jobs) {
  const Loaded loaded = parse(std::string(single_attempt) +
                              "[policies.\"svc.Quick\"]\nretry.per_attempt_timeout = \"1ms\"\n"
                              "[simulation]\nclients = 1\n"
                              "[simulation.dependency]\nlatency = { value = \"1h\" }\n"
                              "[[simulation.variants]]\nname = \"quick\"\nkey = \"svc.Quick\"\n"
                              "[[simulation.variants]]\nname = \"second\"\nkey = \"svc.Slow\"\n"
                              "[[simulation.variants]]\nname = \"third\"\nkey = \"svc.Slow\"\n");
  for (const std::size_t jobs : {1u, 2u, 3u}) {
    sim::RunOptions options;
    options.progress = false;
    options.jobs = jobs;
    options.calls = 800;
    const auto data = sim::run_simulation(loaded.config, loaded.spec, options);
    BOOST_REQUIRE(!data.has_value());
    const std::string text = recourse::host::to_string(data.error());
    BOOST_TEST(text.find("variant \"second\": the run passed 30 days") != std::string::npos, jobs << " jobs: " << text);
  }
}

BOOST_AUTO_TEST_SUITE_END()

// Issue 10, item 14: a variant whose key has no policy (or is invalid) is not an unexplained
// 0% success: the summary names the final reasons.
BOOST_AUTO_TEST_SUITE(simulate_final_reasons)

constexpr std::string_view model =
    "[policies.\"a.b\"]\nretry.max_attempts = 2\n"
    "[simulation]\nclients = 2\n"
    "[simulation.dependency]\nlatency = { value = \"5ms\" }\nerror_rate = 0.3\n"
    "[[simulation.variants]]\nname = \"configured\"\nkey = \"a.b\"\n"
    "[[simulation.variants]]\nname = \"unconfigured\"\nkey = \"nobody.Configured\"\n";

BOOST_AUTO_TEST_CASE(a_variant_without_a_policy_shows_no_policy_as_its_final_reason) {
  const auto data = run(parse(model), 1000);
  const auto& missing = variant(data, "unconfigured");
  BOOST_TEST(missing.successes == 0u);
  BOOST_REQUIRE_EQUAL(missing.final_reasons.size(), 1u);
  BOOST_TEST(missing.final_reasons[0].reason == "no_policy");
  BOOST_TEST(missing.final_reasons[0].calls == 1000u);
  const auto summary = report::summarize(missing);
  BOOST_REQUIRE_EQUAL(summary.top_failure_reasons.size(), 1u);
  BOOST_TEST(summary.top_failure_reasons[0].share == 1.0);

  // The configured one fails only where both attempts failed (~9%), all as max_attempts.
  const auto& configured = variant(data, "configured");
  BOOST_TEST(configured.successes < configured.calls);
  BOOST_REQUIRE_EQUAL(configured.final_reasons.size(), 1u);
  BOOST_TEST(configured.final_reasons[0].reason == "max_attempts");
  BOOST_TEST(configured.final_reasons[0].calls == configured.calls - configured.successes);

  const std::string table = report::summary_table(data);
  BOOST_TEST(table.find("failures by final reason") != std::string::npos, table);
  BOOST_TEST(table.find("no_policy 100.00%") != std::string::npos, table);
  BOOST_TEST(table.find("max_attempts ") != std::string::npos, table);
  BOOST_TEST(report::html_report(data).find("no_policy 100.00%") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_compare_key_that_is_invalid_shows_invalid_key) {
  const Loaded loaded = parse(model);
  sim::RunOptions options;
  options.calls = 200;
  options.progress = false;
  options.compare = {"a.b", std::string("bad\x01key")};
  auto data = sim::run_simulation(loaded.config, loaded.spec, options);
  BOOST_REQUIRE(data.has_value());
  const auto& bad = data->variants.at(1);
  BOOST_REQUIRE(!bad.final_reasons.empty());
  BOOST_TEST(bad.final_reasons[0].reason == "invalid_key");
  BOOST_TEST(bad.final_reasons[0].calls == 200u);
  BOOST_TEST(report::summary_table(*data).find("invalid_key 100.00%") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
