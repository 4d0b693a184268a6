// timelines.jsonl and trace.json: valid JSON, every sampled call and attempt present with the
// documented fields, one process per variant, hedges on rows of their own.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "json_checker.hpp"
#include "svg_elements.hpp"

import recourse.test.sample_report;

namespace report = recourse::host::report;
using recourse::test::contains;
using recourse::test::count;
using recourse::test::JsonChecker;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

recourse::TimePoint ms(int n) { return recourse::TimePoint(std::chrono::milliseconds(n)); }

// One call: a failed attempt, a retry raced by a hedge that wins.
report::ReportData hedged_call() {
  report::ReportData data;
  report::VariantResult v;
  v.name = "hedged \"variant\"";
  data.variants = {v};
  report::SampledCall call;
  call.variant = v.name;
  call.call_index = 17;
  recourse::Timeline& t = call.timeline;
  t.key = "payments.Charge";
  t.policy_id = "payments.*";
  t.start = ms(1000);
  t.end = ms(1100);
  t.final_reason = "success";
  recourse::AttemptRecord a;
  a.index = 0;
  a.start = ms(1000);
  a.end = ms(1010);
  a.kind = recourse::OutcomeKind::retryable;
  a.reason = "http_5xx";
  t.attempts.push_back(a);
  a.index = 1;
  a.retry_index = 1;
  a.start = ms(1030);
  a.end = ms(1100);
  a.kind = recourse::OutcomeKind::abort;
  a.reason = "cancelled";
  a.backoff_before = std::chrono::milliseconds(20);
  a.budget_reason = "allowed";
  t.attempts.push_back(a);
  a.index = 2;
  a.is_hedge = true;
  a.hedge_index = 1;
  a.start = ms(1060);
  a.end = ms(1100);
  a.kind = recourse::OutcomeKind::success;
  a.reason = "success";
  a.backoff_before = {};
  t.attempts.push_back(a);
  data.samples = {call};
  return data;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(trace_files)

BOOST_AUTO_TEST_CASE(timelines_are_one_valid_json_object_per_sampled_call) {
  const report::ReportData data = recourse::test::sample_report(7, 2000);
  BOOST_REQUIRE(data.samples.size() >= 8u);
  const std::vector<std::string> lines = lines_of(report::timelines_jsonl(data));
  BOOST_REQUIRE_EQUAL(lines.size(), data.samples.size());
  for (const std::string& line : lines) BOOST_TEST(JsonChecker::check(line).empty(), JsonChecker::check(line));
}

BOOST_AUTO_TEST_CASE(timeline_line_has_every_documented_field) {
  const std::string line = report::timelines_jsonl(hedged_call());
  BOOST_TEST(JsonChecker::check(line).empty(), JsonChecker::check(line));
  for (const char* field :
       {R"("variant":"hedged \"variant\"")", R"("call_index":17)", R"("key":"payments.Charge")",
        R"("policy_id":"payments.*")", R"("start_ms":1000.000)", R"("end_ms":1100.000)", R"("duration_ms":100.000)",
        R"("final_reason":"success")", R"("circuit_state":"closed")", R"("index":2)", R"("retry_index":1)",
        R"("is_hedge":true)", R"("hedge_index":1)", R"("kind":"retryable")", R"("reason":"http_5xx")",
        R"("backoff_before_ms":20.000)", R"("budget_reason":"allowed")"})
    BOOST_TEST(contains(line, field), field);
  BOOST_TEST(count(line, "\"index\":") == 3u);
}

BOOST_AUTO_TEST_CASE(trace_is_valid_json_with_a_process_per_variant) {
  const report::ReportData data = recourse::test::sample_report(7, 2000);
  const std::string trace = report::trace_json(data);
  BOOST_TEST(JsonChecker::check(trace).empty(), JsonChecker::check(trace));
  BOOST_TEST(trace.starts_with("{\"traceEvents\":["));
  BOOST_TEST(count(trace, R"("name":"process_name")") == data.variants.size());
  for (std::size_t i = 0; i < data.variants.size(); ++i)
    BOOST_TEST(contains(trace, "\"pid\":" + std::to_string(i + 1) + ",\"args\":{\"name\":\"" + data.variants[i].name));
  std::size_t attempts = 0;
  for (const auto& s : data.samples) attempts += s.timeline.attempts.size();
  BOOST_TEST(count(trace, R"("ph":"X")") == data.samples.size() + attempts);
}

BOOST_AUTO_TEST_CASE(trace_puts_the_hedge_on_its_own_row_in_microseconds) {
  const std::string trace = report::trace_json(hedged_call());
  BOOST_TEST(JsonChecker::check(trace).empty(), JsonChecker::check(trace));
  BOOST_TEST(contains(trace, R"("name":"call 17")"));
  BOOST_TEST(contains(trace, R"("name":"call 17 hedges")"));
  BOOST_TEST(contains(
      trace, R"({"name":"payments.Charge","cat":"call","ph":"X","ts":1000000.000,"dur":100000.000,"pid":1,"tid":1)"));
  BOOST_TEST(contains(trace, R"({"name":"attempt 1","cat":"attempt","ph":"X","ts":1030000.000,"dur":70000.000,"pid":1,"tid":1)"));
  BOOST_TEST(contains(trace,
                      R"j({"name":"attempt 2 (hedge 1)","cat":"hedge","ph":"X","ts":1060000.000,"dur":40000.000,"pid":1,"tid":2)j"));
  BOOST_TEST(contains(trace, R"("args":{"kind":"retryable","reason":"http_5xx")"));
}

BOOST_AUTO_TEST_CASE(no_samples_still_give_valid_files) {
  const std::string trace = report::trace_json(report::ReportData{});
  BOOST_TEST(JsonChecker::check(trace).empty(), JsonChecker::check(trace));
  BOOST_TEST(report::timelines_jsonl(report::ReportData{}).empty());
}

BOOST_AUTO_TEST_CASE(checker_rejects_broken_json) {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "{\"a\":1,}", "\"\x01\"", "nan", "01", "[1] x", "\"\\x\""})
    BOOST_TEST(!JsonChecker::check(bad).empty(), bad);
  for (const char* good : {"{}", "[]", "{\"a\":[1,-2.5e3,true,null,\"\\u00e9\"]}", " 0 "})
    BOOST_TEST(JsonChecker::check(good).empty(), good);
}

BOOST_AUTO_TEST_SUITE_END()
