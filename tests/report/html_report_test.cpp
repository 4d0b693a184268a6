// report.html: self-contained, five charts that each draw something, variants named in
// legends with one colour each, and valid output for empty, odd and very large data.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include "svg_elements.hpp"

import recourse.test.sample_report;

namespace report = recourse::host::report;
using recourse::test::contains;
using recourse::test::count;
using recourse::test::data_group;
using recourse::test::svg_elements;

namespace {

// No attribute or text in the page may carry a non-number.
void expect_no_bad_numbers(const std::string& html) {
  for (const char* bad : {"nan", "NaN", "inf\"", "inf,", "inf ", "e+", "e-0"})
    BOOST_TEST(!contains(html, bad), "\"" << bad << "\" in the page");
}

void expect_self_contained(const std::string& html) {
  BOOST_TEST(!contains(html, "<script"));
  BOOST_TEST(!contains(html, "<link"));
  BOOST_TEST(!contains(html, "<img"));
  BOOST_TEST(!contains(html, "@import"));
  BOOST_TEST(!contains(html, "url("));
  // The only address is the SVG namespace, which is a name, not a fetch.
  BOOST_TEST(count(html, "http") == count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(html_report)

BOOST_AUTO_TEST_CASE(sample_report_has_five_charts_that_draw_something) {
  const report::ReportData data = recourse::test::sample_report(7, 5000);
  const std::string html = report::html_report(data);
  const std::vector<std::string> svgs = svg_elements(html);
  BOOST_REQUIRE_EQUAL(svgs.size(), 5u);
  const char* ids[]{"latency-cdf", "dependency-load", "attempts-histogram", "budget-tokens", "circuit-state"};
  const char* drawing[]{"<polyline", "<polyline", "<rect", "<polyline", "<rect"};
  for (std::size_t i = 0; i < svgs.size(); ++i) {
    BOOST_TEST_CONTEXT(ids[i]) {
      BOOST_TEST(contains(svgs[i], std::string("id=\"") + ids[i] + "\""));
      BOOST_TEST(std::regex_search(svgs[i], std::regex("<title>[^<]+</title>")));
      BOOST_TEST(contains(data_group(svgs[i]), drawing[i]));
      // Labelled ticks: on the x axis every chart, on the y axis all but the circuit rows.
      BOOST_TEST(count(svgs[i], "text-anchor=\"middle\"") >= 3u);
      if (i != 4) BOOST_TEST(count(svgs[i], "text-anchor=\"end\"") >= 3u);
      BOOST_TEST(!contains(svgs[i], "no data"));
    }
  }
  // Lines have points, bars have size.
  BOOST_TEST(std::regex_search(svgs[0], std::regex(R"(points="[0-9.]+,[0-9.]+ [0-9.]+,[0-9.]+)")));
  BOOST_TEST(std::regex_search(data_group(svgs[2]), std::regex(R"(height="[1-9][0-9.]*")")));
}

BOOST_AUTO_TEST_CASE(page_shows_parameters_model_and_summary) {
  const report::ReportData data = recourse::test::sample_report(7, 2000);
  const std::string html = report::html_report(data);
  BOOST_TEST(contains(html, "<title>recourse simulate config/simulations/outage.toml</title>"));
  BOOST_TEST(contains(html, "<dt>seed</dt><dd>7</dd>"));
  BOOST_TEST(contains(html, "<dt>clients</dt><dd>16</dd>"));
  BOOST_TEST(contains(html, "<dt>calls per variant</dt><dd>2000</dd>"));
  BOOST_TEST(contains(html, "every attempt fails fast"));
  BOOST_TEST(contains(html, "<table class=\"summary\">"));
  BOOST_TEST(count(html, "<tr>") == data.variants.size() + 1);
  expect_self_contained(html);
  expect_no_bad_numbers(html);
}

BOOST_AUTO_TEST_CASE(each_variant_has_one_colour_in_every_legend) {
  const report::ReportData data = recourse::test::sample_report(7, 1000);
  const std::vector<std::string> svgs = svg_elements(report::html_report(data));
  BOOST_REQUIRE_EQUAL(svgs.size(), 5u);
  const std::string colours[]{"#0072b2", "#d55e00", "#009e73", "#cc79a7"};
  // Latency, load, histogram and budget charts name every variant in their legend, in its colour.
  for (std::size_t chart : {0u, 1u, 2u, 3u}) {
    for (std::size_t i = 0; i < data.variants.size(); ++i) {
      BOOST_TEST_CONTEXT("chart " << chart << ", variant " << data.variants[i].name) {
        BOOST_TEST(contains(svgs[chart], ">" + data.variants[i].name));
        BOOST_TEST(contains(svgs[chart], colours[i]));
      }
    }
  }
  // The two variants without a budget say so.
  BOOST_TEST(contains(svgs[3], "no retries (no budget)"));
  BOOST_TEST(contains(svgs[3], "3 attempts (no budget)"));
  // The circuit chart has a row per variant and a legend of states.
  for (const auto& v : data.variants) BOOST_TEST(contains(svgs[4], ">" + v.name + "<"));
  for (const char* state : {">closed<", ">open<", ">half_open<"}) BOOST_TEST(contains(svgs[4], state));
}

BOOST_AUTO_TEST_CASE(phases_are_shaded_and_labelled_on_the_load_chart) {
  const std::vector<std::string> svgs = svg_elements(report::html_report(recourse::test::sample_report(7, 1000)));
  BOOST_REQUIRE_EQUAL(svgs.size(), 5u);
  BOOST_TEST(contains(svgs[1], ">outage: 100% errors</text>"));
  BOOST_TEST(contains(svgs[1], ">slow: +80 ms</text>"));
  BOOST_TEST(std::regex_search(svgs[1], std::regex("<g class=\"bands\">\n<rect ")));
}

BOOST_AUTO_TEST_CASE(empty_data_renders_five_valid_charts_with_a_no_data_note) {
  const std::string html = report::html_report(report::ReportData{});
  const std::vector<std::string> svgs = svg_elements(html);
  BOOST_REQUIRE_EQUAL(svgs.size(), 5u);
  for (const std::string& svg : svgs) {
    BOOST_TEST(contains(svg, "no data"), svg.substr(0, 120));
    BOOST_TEST(contains(svg, "<title>"));
  }
  expect_no_bad_numbers(html);
}

BOOST_AUTO_TEST_CASE(odd_values_never_reach_the_svg_as_non_numbers) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  constexpr double inf = std::numeric_limits<double>::infinity();
  report::ReportData data;
  data.duration_s = nan;
  data.phases = {{inf, -inf, "broken phase"}, {5, 2, "backwards"}};
  report::VariantResult v;
  v.name = "odd";
  v.calls = 3;
  v.latencies_ms = {nan, 0, 0};  // zero on a log axis
  v.bucket_s = -1;
  v.dependency_load = {nan, inf, 3};
  v.budget_tokens = {inf};
  v.circuit_states = {{nan, 1, "open"}, {0, inf, "closed"}, {2, 1, "half_open"}, {0, 1, "weird"}};
  v.attempts_histogram = {0, 0, 0};
  data.variants = {v, report::VariantResult{}};
  const std::string html = report::html_report(data);
  BOOST_TEST(svg_elements(html).size() == 5u);
  expect_no_bad_numbers(html);
}

BOOST_AUTO_TEST_CASE(names_are_escaped) {
  report::ReportData data;
  data.title = "<script>alert('x')</script>";
  data.model_text = "a & b";
  report::VariantResult v;
  v.name = "retries <3> & \"quotes\"";
  v.latencies_ms = {1, 2};
  data.variants = {v};
  const std::string html = report::html_report(data);
  BOOST_TEST(!contains(html, "<script"));
  BOOST_TEST(contains(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
  BOOST_TEST(contains(html, "a &amp; b"));
  BOOST_TEST(contains(html, "retries &lt;3&gt; &amp; &quot;quotes&quot;"));
}

BOOST_AUTO_TEST_CASE(a_hundred_thousand_calls_stay_small) {
  const report::ReportData data = recourse::test::sample_report(3, 100000);
  const std::string html = report::html_report(data);
  BOOST_TEST(html.size() < 400u * 1024, html.size());
  for (const std::string& svg : svg_elements(html)) {
    const std::string drawn = data_group(svg);
    for (std::size_t at = drawn.find("points=\""); at != std::string::npos; at = drawn.find("points=\"", at + 1)) {
      const std::size_t end = drawn.find('"', at + 8);
      BOOST_TEST(count(drawn.substr(at, end - at), " ") + 1 <= 1000u);
    }
    BOOST_TEST(count(drawn, "<rect") <= 4000u);
  }
}

BOOST_AUTO_TEST_SUITE_END()
