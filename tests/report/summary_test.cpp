// summarize() and the text table: nearest-rank percentiles on known data, amplification and
// attempts per call, and a table whose columns line up whatever the names.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "svg_elements.hpp"

import recourse.host.report;

namespace report = recourse::host::report;
using recourse::test::contains;

namespace {

report::VariantResult variant_with_latencies(int n) {
  report::VariantResult v;
  v.name = "v";
  v.calls = static_cast<std::uint64_t>(n);
  // Reversed, so summarize has to sort.
  for (int i = n; i >= 1; --i) v.latencies_ms.push_back(i);
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(summarize)

BOOST_AUTO_TEST_CASE(percentiles_are_nearest_rank_on_sorted_latencies) {
  const report::Summary s = report::summarize(variant_with_latencies(100));
  BOOST_TEST(s.p50_ms == 50);
  BOOST_TEST(s.p90_ms == 90);
  BOOST_TEST(s.p99_ms == 99);
  BOOST_TEST(s.p999_ms == 100);  // rank ceil(99.9) = 100
  BOOST_TEST(s.max_ms == 100);
}

BOOST_AUTO_TEST_CASE(p999_of_a_thousand_calls_is_the_999th_not_the_last) {
  const report::Summary s = report::summarize(variant_with_latencies(1000));
  BOOST_TEST(s.p50_ms == 500);
  BOOST_TEST(s.p99_ms == 990);
  BOOST_TEST(s.p999_ms == 999);
}

BOOST_AUTO_TEST_CASE(small_samples_take_the_rank_rounded_up) {
  report::VariantResult v;
  v.latencies_ms = {30, 10, 20};
  const report::Summary s = report::summarize(v);
  BOOST_TEST(s.p50_ms == 20);  // ceil(1.5) = 2nd
  BOOST_TEST(s.p90_ms == 30);
  v.latencies_ms = {7};
  BOOST_TEST(report::summarize(v).p50_ms == 7);
  BOOST_TEST(report::summarize(v).p999_ms == 7);
}

BOOST_AUTO_TEST_CASE(amplification_is_dependency_attempts_per_call) {
  report::VariantResult v;
  v.calls = 200;
  v.successes = 150;
  v.dependency_attempts = 500;
  const report::Summary s = report::summarize(v);
  BOOST_TEST(s.load_amplification == 2.5);
  BOOST_TEST(s.success_rate == 0.75);
  // Without a histogram attempts per call falls back to the same ratio.
  BOOST_TEST(s.attempts_per_call == 2.5);
}

BOOST_AUTO_TEST_CASE(attempts_per_call_is_the_histogram_mean) {
  report::VariantResult v;
  v.calls = 100;
  v.attempts_histogram = {10, 50, 20, 20};  // 0·10 + 1·50 + 2·20 + 3·20 = 150
  v.dependency_attempts = 170;              // e.g. with hedges not in the histogram
  const report::Summary s = report::summarize(v);
  BOOST_TEST(s.attempts_per_call == 1.5);
  BOOST_TEST(s.load_amplification == 1.7);
}

BOOST_AUTO_TEST_CASE(no_calls_gives_zeros_not_nan) {
  const report::Summary s = report::summarize(report::VariantResult{});
  for (double x : {s.success_rate, s.p50_ms, s.p90_ms, s.p99_ms, s.p999_ms, s.max_ms, s.attempts_per_call,
                   s.load_amplification})
    BOOST_TEST(x == 0);
}

BOOST_AUTO_TEST_CASE(non_finite_latencies_are_left_out) {
  report::VariantResult v;
  v.latencies_ms = {std::numeric_limits<double>::quiet_NaN(), 5, std::numeric_limits<double>::infinity(), 1};
  const report::Summary s = report::summarize(v);
  BOOST_TEST(s.p50_ms == 1);
  BOOST_TEST(s.max_ms == 5);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(summary_table)

BOOST_AUTO_TEST_CASE(has_a_header_and_one_aligned_row_per_variant) {
  report::ReportData data;
  report::VariantResult a = variant_with_latencies(100);
  a.name = "no retries";
  a.successes = 90;
  a.dependency_attempts = 100;
  a.attempts_histogram = {0, 100};
  report::VariantResult b = variant_with_latencies(1000);
  b.name = "3 attempts + a rather long budget name";
  b.successes = 999;
  b.dependency_attempts = 2500;
  b.budget_denials = 42;
  b.hedges_spawned = 7;
  b.hedges_won = 3;
  b.circuit_open_s = 12.4;
  data.variants = {a, b};
  const std::string table = report::summary_table(data);

  std::vector<std::string> lines;
  std::istringstream in(table);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  BOOST_REQUIRE_EQUAL(lines.size(), 4u);  // header, rule, two rows
  for (const char* column : {"variant", "calls", "success", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "att/call",
                             "load amp.", "budget denied", "hedges", "hedges won", "circuit open s",
                             "failures by final reason"})
    BOOST_TEST(contains(lines[0], column), column);
  BOOST_TEST(lines[1].find_first_not_of('-') == std::string::npos);
  // The last column is left-aligned (trailing blanks trimmed): every row's reasons start where
  // its header does, and the numeric columns before it end at the same place.
  const std::size_t reasons_at = lines[0].find("failures by final reason");
  BOOST_TEST(lines[1].size() == lines[0].size());
  for (std::size_t i = 2; i < lines.size(); ++i) {
    BOOST_REQUIRE(lines[i].size() > reasons_at);
    BOOST_TEST(lines[i][reasons_at - 1] == ' ', lines[i]);
    BOOST_TEST(lines[i][reasons_at] != ' ', lines[i]);
    BOOST_TEST(lines[i].find("  ", reasons_at) == std::string::npos, lines[i]);
  }

  BOOST_TEST(contains(lines[2], "no retries"));
  BOOST_TEST(contains(lines[2], "90.00%"));
  BOOST_TEST(contains(lines[2], " 50.0 "));
  BOOST_TEST(contains(lines[2], "1.00x"));
  BOOST_TEST(contains(lines[3], "3 attempts + a rather long budget name"));
  BOOST_TEST(contains(lines[3], "99.90%"));
  BOOST_TEST(contains(lines[3], " 999.0 "));  // p99.9 of 1..1000
  BOOST_TEST(contains(lines[3], "2.50x"));
  BOOST_TEST(contains(lines[3], " 42 "));
  BOOST_TEST(contains(lines[3], "12.4"));
  BOOST_TEST(lines[2].ends_with(" -"), "no failure reasons given: " << lines[2]);
}

BOOST_AUTO_TEST_CASE(the_top_three_failure_reasons_are_shown_with_their_share_of_calls) {
  report::ReportData data;
  report::VariantResult v = variant_with_latencies(1000);
  v.name = "mixed";
  v.successes = 900;
  v.final_reasons = {{"max_attempts", 60}, {"circuit_open", 25}, {"budget_denied", 10}, {"deadline_exceeded", 5}};
  report::VariantResult none = variant_with_latencies(200);
  none.name = "unconfigured";
  none.final_reasons = {{"no_policy", 200}};
  data.variants = {v, none};
  data.notes = {"mixed: the run spans 3 h of virtual time, so its time series use 131.072s buckets"};

  const report::Summary s = report::summarize(v);
  BOOST_REQUIRE_EQUAL(s.top_failure_reasons.size(), report::summary_reasons);
  BOOST_TEST(s.top_failure_reasons[0].reason == "max_attempts");
  BOOST_TEST(s.top_failure_reasons[0].calls == 60u);
  BOOST_TEST(s.top_failure_reasons[0].share == 0.06);
  BOOST_TEST(s.top_failure_reasons[2].reason == "budget_denied");

  const std::string table = report::summary_table(data);
  BOOST_TEST(contains(table, "max_attempts 6.00%, circuit_open 2.50%, budget_denied 1.00%\n"), table);
  BOOST_TEST(!contains(table, "deadline_exceeded"), "only the top three");
  BOOST_TEST(contains(table, "no_policy 100.00%\n"), table);
  BOOST_TEST(table.ends_with("\nnote: mixed: the run spans 3 h of virtual time, so its time series use 131.072s buckets\n"),
             table);
  const std::string html = report::html_report(data);
  BOOST_TEST(contains(html, "<td>no_policy 100.00%</td>"));
  BOOST_TEST(contains(html, "Note: mixed: the run spans 3 h"));
}

BOOST_AUTO_TEST_CASE(no_variants_is_just_the_header) {
  const std::string table = report::summary_table(report::ReportData{});
  BOOST_TEST(recourse::test::count(table, "\n") == 2u);
  BOOST_TEST(contains(table, "variant"));
}

BOOST_AUTO_TEST_SUITE_END()
