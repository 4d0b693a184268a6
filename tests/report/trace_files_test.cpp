// timelines.jsonl and trace.json: valid JSON, every sampled call and attempt present with the
// documented fields, one process per variant, hedges on rows of their own.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "svg_elements.hpp"

import recourse.test.sample_report;

namespace report = recourse::host::report;
using recourse::test::contains;
using recourse::test::count;
using Json = nlohmann::ordered_json;

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

// The complete ("X") event of the trace named `name`; null when there is none.
Json complete_event(const Json& trace, std::string_view name) {
  for (const Json& e : trace["traceEvents"])
    if (e["ph"] == "X" && e["name"] == name) return e;
  return nullptr;
}

BOOST_AUTO_TEST_SUITE(trace_files)

BOOST_AUTO_TEST_CASE(timelines_are_one_valid_json_object_per_sampled_call) {
  const report::ReportData data = recourse::test::sample_report(7, 2000);
  BOOST_REQUIRE(data.samples.size() >= 8u);
  const std::vector<std::string> lines = lines_of(report::timelines_jsonl(data));
  BOOST_REQUIRE_EQUAL(lines.size(), data.samples.size());
  for (const std::string& line : lines) BOOST_TEST(Json::accept(line), line);
}

BOOST_AUTO_TEST_CASE(timeline_line_has_every_documented_field) {
  const std::string line = report::timelines_jsonl(hedged_call());
  BOOST_REQUIRE(Json::accept(line));
  const Json call = Json::parse(line);
  BOOST_TEST(call["variant"] == "hedged \"variant\"");
  BOOST_TEST(call["call_index"] == 17);
  BOOST_TEST(call["key"] == "payments.Charge");
  BOOST_TEST(call["policy_id"] == "payments.*");
  BOOST_TEST(call["start_ms"] == 1000.0);
  BOOST_TEST(call["end_ms"] == 1100.0);
  BOOST_TEST(call["duration_ms"] == 100.0);
  BOOST_TEST(call["final_reason"] == "success");
  BOOST_TEST(call["circuit_state"] == "closed");
  // The variant and index first, then the timeline's own fields in the documented order.
  BOOST_TEST(call.begin().key() == "variant");
  BOOST_REQUIRE_EQUAL(call["attempts"].size(), 3u);
  const Json& first = call["attempts"][0];
  BOOST_TEST(first["kind"] == "retryable");
  BOOST_TEST(first["reason"] == "http_5xx");
  const Json& retry = call["attempts"][1];
  BOOST_TEST(retry["index"] == 1);
  BOOST_TEST(retry["retry_index"] == 1);
  BOOST_TEST(retry["kind"] == "abort");
  BOOST_TEST(retry["reason"] == "cancelled");
  BOOST_TEST(retry["backoff_before_ms"] == 20.0);
  BOOST_TEST(retry["budget_reason"] == "allowed");
  const Json& hedge = call["attempts"][2];
  BOOST_TEST(hedge["index"] == 2);
  BOOST_TEST(hedge["is_hedge"] == true);
  BOOST_TEST(hedge["hedge_index"] == 1);
}

BOOST_AUTO_TEST_CASE(trace_is_valid_json_with_a_process_per_variant) {
  const report::ReportData data = recourse::test::sample_report(7, 2000);
  const std::string text = report::trace_json(data);
  BOOST_REQUIRE(Json::accept(text));
  BOOST_TEST(text.starts_with("{\"traceEvents\":["));
  const Json trace = Json::parse(text);
  std::vector<std::string> processes;
  std::size_t complete = 0;
  for (const Json& e : trace["traceEvents"]) {
    if (e["name"] == "process_name") {
      BOOST_TEST(e["pid"] == processes.size() + 1);
      processes.push_back(e["args"]["name"]);
    }
    if (e["ph"] == "X") ++complete;
  }
  BOOST_REQUIRE_EQUAL(processes.size(), data.variants.size());
  for (std::size_t i = 0; i < data.variants.size(); ++i) BOOST_TEST(processes[i] == data.variants[i].name);
  std::size_t attempts = 0;
  for (const auto& s : data.samples) attempts += s.timeline.attempts.size();
  BOOST_TEST(complete == data.samples.size() + attempts);
}

BOOST_AUTO_TEST_CASE(trace_puts_the_hedge_on_its_own_row_in_microseconds) {
  const std::string text = report::trace_json(hedged_call());
  BOOST_REQUIRE(Json::accept(text));
  BOOST_TEST(contains(text, R"("name":"call 17")"));
  BOOST_TEST(contains(text, R"("name":"call 17 hedges")"));
  const Json trace = Json::parse(text);
  const auto expect = [&](std::string_view name, std::string_view category, double ts, double dur, int tid) {
    const Json e = complete_event(trace, name);
    BOOST_REQUIRE_MESSAGE(!e.is_null(), name);
    BOOST_TEST(e["cat"] == category);
    BOOST_TEST(e["ts"] == ts);
    BOOST_TEST(e["dur"] == dur);
    BOOST_TEST(e["pid"] == 1);
    BOOST_TEST(e["tid"] == tid);
    // The fields in the order of the trace format's examples.
    std::vector<std::string> keys;
    for (const auto& item : e.items()) keys.push_back(item.key());
    BOOST_TEST((keys == std::vector<std::string>{"name", "cat", "ph", "ts", "dur", "pid", "tid", "args"}));
    return e;
  };
  expect("payments.Charge", "call", 1000000.0, 100000.0, 1);
  const Json first = expect("attempt 0", "attempt", 1000000.0, 10000.0, 1);
  BOOST_TEST(first["args"]["kind"] == "retryable");
  BOOST_TEST(first["args"]["reason"] == "http_5xx");
  expect("attempt 1", "attempt", 1030000.0, 70000.0, 1);
  expect("attempt 2 (hedge 1)", "hedge", 1060000.0, 40000.0, 2);
}

BOOST_AUTO_TEST_CASE(no_samples_still_give_valid_files) {
  const std::string trace = report::trace_json(report::ReportData{});
  BOOST_TEST(Json::accept(trace));
  BOOST_TEST(report::timelines_jsonl(report::ReportData{}).empty());
}

BOOST_AUTO_TEST_SUITE_END()
