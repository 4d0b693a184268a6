// The simulator: the two shipped reproductions within their stated tolerances, determinism
// (same seed, same bytes), phases seen in the load series, and [simulation] errors located.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
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

report::ReportData run(const Loaded& loaded, std::uint64_t calls, std::uint64_t seed = 0) {
  sim::RunOptions options;
  options.calls = calls;
  options.progress = false;
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

// The default config's 15s outage (15s–30s, 100% errors): the load series shows retries
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
  BOOST_TEST(errors.find("sim.toml:3:9: simulation.bogus: unknown field") != std::string::npos, errors);
  BOOST_TEST(errors.find("2:9") < errors.find("3:9"), "in file order: " << errors);
  BOOST_TEST(errors.find("unknown distribution \"gamma\"") != std::string::npos, errors);
  BOOST_TEST(errors.find("simulation.dependency.error_rate") != std::string::npos, errors);
  BOOST_TEST(errors.find("a variant needs the key") != std::string::npos, errors);
  BOOST_TEST(errors_of("[simulation]\ncalls = 10\n").find("[simulation.dependency] is required") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
