// The trace observer, loaded from librecourse-trace.so: a Chrome trace-event JSON array (parsed
// with nlohmann-json), each call on its own tid named after its key, attempts as complete events
// in microseconds with the backoff as the gap, hedges on rows of their own, events properly
// nested, config refusals, a valid trace from many threads, and — end to end — a real
// Executor's retried call. Files go to a fresh directory under the system temp dir.
// Shared scaffolding: tests/plugins/observer_test_helpers.hpp.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "observer_test_helpers.hpp"
#include "plugin_harness.hpp"

using namespace std::chrono_literals;
using observer_test_helpers::at;
using observer_test_helpers::contains;
using observer_test_helpers::field_paths;
using observer_test_helpers::finish;
using observer_test_helpers::Json;
using observer_test_helpers::JsonParser;
using observer_test_helpers::make_observer;
using observer_test_helpers::read;
using observer_test_helpers::refusal;
using observer_test_helpers::retried_call;
using observer_test_helpers::run_flaky_call;
using observer_test_helpers::ScratchDir;
using plugin_harness::Table;
using recourse::OutcomeKind;
using recourse::Timeline;

namespace {

// ---- trace-file checks -------------------------------------------------------------------

struct TraceFile {
  Json events;  // the array
  std::vector<const Json*> of_phase(std::string_view ph) const {
    std::vector<const Json*> out;
    for (const Json& e : events.items)
      if (e["ph"].str() == ph) out.push_back(&e);
    return out;
  }
  const Json& named(std::string_view name) const {
    for (const Json& e : events.items)
      if (e["ph"].str() == "X" && e["name"].str() == name) return e;
    throw std::out_of_range("no complete event \"" + std::string(name) + "\"");
  }
  std::string thread_name(std::int64_t tid) const {
    for (const Json* e : of_phase("M"))
      if ((*e)["name"].str() == "thread_name" && (*e)["tid"].integer() == tid) return (*e)["args"]["name"].str();
    return "<none>";
  }
};

TraceFile parse_trace(const std::string& path) {
  const std::string text = read(path);
  BOOST_REQUIRE(text.starts_with("["));
  TraceFile trace;
  BOOST_REQUIRE_NO_THROW(trace.events = JsonParser::parse(text));
  BOOST_REQUIRE((trace.events.type == Json::Type::array));
  for (const Json& e : trace.events.items) {
    BOOST_REQUIRE(e.has("ph"));
    BOOST_TEST(e["pid"].integer() == 1);
    if (e["ph"].str() == "X") {
      BOOST_TEST(e.has("ts"));
      BOOST_TEST(e.has("dur"));
      BOOST_TEST(e.has("tid"));
    }
  }
  return trace;
}

// Complete events on one tid must nest (each inside the last open one, or after it ends), or
// the viewers draw them wrongly. Times compared in nanoseconds to dodge float rounding.
void expect_properly_nested(const TraceFile& trace) {
  std::map<std::int64_t, std::vector<std::pair<std::int64_t, std::int64_t>>> by_tid;
  const auto ns = [](const Json& micros) { return std::llround(micros.number() * 1000); };
  for (const Json* e : trace.of_phase("X"))
    by_tid[(*e)["tid"].integer()].emplace_back(ns((*e)["ts"]), ns((*e)["ts"]) + ns((*e)["dur"]));
  for (auto& [tid, spans] : by_tid) {
    // By start; of two starting together, the longer (the enclosing one) first.
    std::ranges::sort(spans, {}, [](auto span) { return std::pair(span.first, -span.second); });
    std::vector<std::int64_t> open_ends;
    for (const auto& [start, end] : spans) {
      while (!open_ends.empty() && open_ends.back() <= start) open_ends.pop_back();
      BOOST_TEST((open_ends.empty() || end <= open_ends.back()), "overlapping events on tid " << tid);
      open_ends.push_back(end);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(trace_observer)

BOOST_AUTO_TEST_CASE(writes_each_call_at_once_and_closes_the_json_array_when_destroyed) {
  ScratchDir dir;
  const std::string path = dir.file("trace.json");
  auto observer = make_observer("trace", Table().add("plugin", "trace").add("path", path.c_str()));
  finish(*observer, retried_call(), true);
  const std::string while_running = read(path);
  BOOST_TEST(while_running.starts_with("["));
  BOOST_TEST(contains(while_running, "\"name\":\"attempt 1\""));  // flushed with the call
  BOOST_CHECK_THROW(JsonParser::parse(while_running), std::runtime_error);  // not closed yet
  observer.reset();
  const TraceFile trace = parse_trace(path);
  const Json& process = trace.events[0];
  BOOST_TEST(process["ph"].str() == "M");
  BOOST_TEST(process["name"].str() == "process_name");
  BOOST_TEST(trace.of_phase("X").size() == 3u);  // the call and its two attempts
}

BOOST_AUTO_TEST_CASE(each_call_gets_its_own_tid_named_after_its_key) {
  ScratchDir dir;
  const std::string path = dir.file("trace.json");
  auto observer = make_observer("trace", Table().add("path", path.c_str()));
  finish(*observer, retried_call("shop.Checkout"), true);
  finish(*observer, retried_call("shop.Refund"), false);
  observer.reset();
  const TraceFile trace = parse_trace(path);
  const std::int64_t checkout = trace.named("shop.Checkout")["tid"].integer();
  const std::int64_t refund = trace.named("shop.Refund")["tid"].integer();
  BOOST_TEST(checkout != refund);
  BOOST_TEST(trace.thread_name(checkout) == "shop.Checkout");
  BOOST_TEST(trace.thread_name(refund) == "shop.Refund");
  BOOST_TEST(trace.named("shop.Refund")["args"]["final_reason"].str() == "success");
  BOOST_TEST(!trace.named("shop.Refund")["args"]["succeeded"].boolean);
  std::set<std::int64_t> attempt_tids;
  for (const Json* e : trace.of_phase("X"))
    if ((*e)["cat"].str() == "attempt") attempt_tids.insert((*e)["tid"].integer());
  BOOST_TEST((attempt_tids == std::set<std::int64_t>{checkout, refund}));
  expect_properly_nested(trace);
}

BOOST_AUTO_TEST_CASE(attempts_are_complete_events_in_microseconds_with_the_backoff_as_the_gap) {
  ScratchDir dir;
  const std::string path = dir.file("trace.json");
  auto observer = make_observer("trace", Table().add("path", path.c_str()));
  Timeline t = retried_call();
  for (auto* p : {&t.start, &t.end, &t.attempts[0].start, &t.attempts[0].end, &t.attempts[1].start, &t.attempts[1].end})
    *p += 1s + 250ns;  // sub-microsecond times keep their precision
  finish(*observer, t, true);
  observer.reset();
  BOOST_TEST(contains(read(path), "\"ts\":1000000.25,"));  // the shortest text of the exact value
  const TraceFile trace = parse_trace(path);
  const Json& call = trace.named("shop.Checkout");
  const Json& first = trace.named("attempt 0");
  const Json& second = trace.named("attempt 1");
  BOOST_TEST(call["ts"].number() == 1000000.25);
  BOOST_TEST(call["dur"].number() == 13500.0);
  BOOST_TEST(first["ts"].number() == 1000000.25);
  BOOST_TEST(first["dur"].number() == 2000.0);
  BOOST_TEST(second["ts"].number() == 1012000.25);
  BOOST_TEST(second["dur"].number() == 1500.0);
  BOOST_TEST(second["ts"].number() - (first["ts"].number() + first["dur"].number()) == 10000.0);  // the backoff
  BOOST_TEST(first["args"]["reason"].str() == "http_503");
  BOOST_TEST(first["args"]["kind"].str() == "retryable");
  BOOST_TEST(first["args"]["budget"].str() == "");
  BOOST_TEST(second["args"]["budget"].str() == "allowed");
  BOOST_TEST(second["args"]["backoff_before_us"].number() == 10000.0);
  BOOST_TEST(call["args"]["policy_id"].str() == "shop.*");
  expect_properly_nested(trace);
}

BOOST_AUTO_TEST_CASE(hedges_go_on_their_own_row_of_the_call_and_overlapping_hedges_on_separate_rows) {
  ScratchDir dir;
  const std::string path = dir.file("trace.json");
  auto observer = make_observer("trace", Table().add("path", path.c_str()));
  Timeline t;
  t.key = "search.Query";
  t.start = at(0ms), t.end = at(700ms);
  t.final_reason = "success";
  t.attempts.push_back(
      {.index = 0, .start = at(0ms), .end = at(700ms), .kind = OutcomeKind::success, .reason = "success"});
  t.attempts.push_back({.index = 1,
                        .is_hedge = true,
                        .hedge_index = 1,
                        .start = at(200ms),
                        .end = at(600ms),
                        .kind = OutcomeKind::retryable,
                        .reason = "http_503",
                        .budget_reason = "allowed"});
  t.attempts.push_back({.index = 2,
                        .is_hedge = true,
                        .hedge_index = 2,
                        .start = at(400ms),
                        .end = at(650ms),
                        .kind = OutcomeKind::abort,
                        .reason = "cancelled",
                        .budget_reason = "allowed"});
  finish(*observer, t, true);
  finish(*observer, retried_call("other.Call"), true);
  observer.reset();
  const TraceFile trace = parse_trace(path);
  const std::int64_t primary = trace.named("attempt 0")["tid"].integer();
  const std::int64_t hedge1 = trace.named("attempt 1 (hedge 1)")["tid"].integer();
  const std::int64_t hedge2 = trace.named("attempt 2 (hedge 2)")["tid"].integer();
  BOOST_TEST(trace.named("search.Query")["tid"].integer() == primary);
  BOOST_TEST(hedge1 != primary);
  BOOST_TEST(hedge2 != primary);
  BOOST_TEST(hedge2 != hedge1);  // they overlap without nesting
  BOOST_TEST(trace.named("attempt 1 (hedge 1)")["cat"].str() == "hedge");
  BOOST_TEST(contains(trace.thread_name(hedge1), "search.Query"), trace.thread_name(hedge1));
  BOOST_TEST(contains(trace.thread_name(hedge2), "search.Query"), trace.thread_name(hedge2));
  const std::int64_t other = trace.named("other.Call")["tid"].integer();
  BOOST_TEST((other != primary && other != hedge1 && other != hedge2));
  expect_properly_nested(trace);
}

BOOST_AUTO_TEST_CASE(escapes_keys_in_event_names_and_thread_names) {
  ScratchDir dir;
  const std::string path = dir.file("trace.json");
  auto observer = make_observer("trace", Table().add("path", path.c_str()));
  const std::string key = "we\"ird\\\n\x02";
  finish(*observer, retried_call(key), true);
  observer.reset();
  const TraceFile trace = parse_trace(path);
  const std::int64_t tid = trace.named(key)["tid"].integer();
  BOOST_TEST(trace.thread_name(tid) == key);
}

BOOST_AUTO_TEST_CASE(refuses_a_missing_path_unknown_fields_and_wrong_types_naming_each_field) {
  const auto missing = refusal("trace", Table().add("plugin", "trace"));
  BOOST_REQUIRE_EQUAL(missing.size(), 1u);
  BOOST_TEST(contains(missing[0].message, "path is required"), missing[0].message);
  const auto errors = refusal("trace", Table().add("path", true).add("max_bytes", 10));
  BOOST_TEST((field_paths(errors) == std::set<std::string>{"test.path", "test.max_bytes"}));
}

BOOST_AUTO_TEST_CASE(a_file_that_cannot_be_opened_is_a_config_error_naming_the_path_and_the_os_error) {
  ScratchDir dir;
  const auto errors = refusal("trace", Table().add("path", dir.path.c_str()));  // a directory
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0].field_path == "test.path");
  BOOST_TEST(contains(errors[0].message, dir.path.string()), errors[0].message);
  BOOST_TEST(contains(errors[0].message, "Is a directory"), errors[0].message);
}

BOOST_AUTO_TEST_CASE(calls_finishing_on_many_threads_give_a_valid_trace_with_distinct_tids) {
  ScratchDir dir;
  const std::string path = dir.file("trace.json");
  constexpr int threads = 4, calls = 100;
  auto observer = make_observer("trace", Table().add("path", path.c_str()));
  std::vector<std::jthread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < calls; ++i) {
        Timeline call = retried_call("t" + std::to_string(t) + ".c" + std::to_string(i));
        call.attempts.push_back({.index = 2,
                                 .is_hedge = true,
                                 .hedge_index = 1,
                                 .start = at(1ms),
                                 .end = at(3ms),
                                 .kind = OutcomeKind::abort,
                                 .reason = "cancelled"});
        finish(*observer, call, true);
      }
    });
  workers.clear();  // joins
  observer.reset();
  const TraceFile trace = parse_trace(path);
  std::set<std::int64_t> tids;
  std::size_t call_events = 0;
  for (const Json* e : trace.of_phase("X")) {
    if ((*e)["cat"].str() == "call") ++call_events;
    if ((*e)["cat"].str() != "attempt") tids.insert((*e)["tid"].integer());  // call rows and hedge rows
  }
  BOOST_TEST(call_events == static_cast<std::size_t>(threads * calls));
  BOOST_TEST(tids.size() == static_cast<std::size_t>(2 * threads * calls));  // none shared between calls
  expect_properly_nested(trace);
}

BOOST_AUTO_TEST_CASE(an_executor_call_that_fails_twice_then_succeeds_shows_three_attempts_and_two_gaps) {
  ScratchDir dir;
  const std::string path = dir.file("trace.json");
  run_flaky_call(make_observer("trace", Table().add("path", path.c_str())), "shop.Checkout");
  // The executor is gone, and with it the last reference to the observer: the file is closed.
  const TraceFile trace = parse_trace(path);
  const Json& call = trace.named("shop.Checkout");
  BOOST_TEST(call["ts"].number() == 0.0);
  BOOST_TEST(call["dur"].number() == 36000.0);
  BOOST_TEST(trace.thread_name(call["tid"].integer()) == "shop.Checkout");
  const double starts[] = {0.0, 12000.0, 34000.0};
  for (int i = 0; i < 3; ++i) {
    const Json& a = trace.named("attempt " + std::to_string(i));
    BOOST_TEST(a["ts"].number() == starts[i]);
    BOOST_TEST(a["dur"].number() == 2000.0);
    BOOST_TEST(a["tid"].integer() == call["tid"].integer());
    BOOST_TEST(a["args"]["kind"].str() == (i < 2 ? "retryable" : "success"));
  }
  expect_properly_nested(trace);
}

BOOST_AUTO_TEST_SUITE_END()
