// timelines.jsonl and trace.json: the sampled calls attempt by attempt, as JSON lines (for jq and
// scripts) and as Chrome trace events (for Perfetto and chrome://tracing). Times are virtual
// milliseconds (JSONL) or microseconds (trace) of the simulator clock's time_since_epoch,
// written from integer nanoseconds, so they are exact and the same on every machine.
//
// In the trace each variant is a process (pid 1, 2, … in the order of ReportData::variants,
// named by a process_name event) and each sampled call a thread of it: one "X" event spans the
// call and one per attempt sits inside, so backoff is the gap between attempts. Hedges overlap
// the attempt they race, and complete events on one thread must nest, so they go on extra
// threads ("call 17 hedges"), as the trace observer plugin does.
module;
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "json_writer.hpp"
#include "trace_rows.hpp"

module recourse.host.report;

namespace recourse::host::report {
namespace {

namespace json = recourse::plugins::json;
using recourse::plugins::assign_trace_rows;
using recourse::plugins::TraceRows;
using recourse::plugins::TraceSpan;

std::int64_t nanoseconds(Duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }
std::int64_t nanoseconds(TimePoint t) { return nanoseconds(t.time_since_epoch()); }

// Writer::micros writes a count divided by 1000 with three decimals: fed microseconds, it
// writes milliseconds.
void milliseconds(json::Writer& w, std::int64_t ns) { w.micros(ns / 1000); }
void microseconds(json::Writer& w, std::int64_t ns) { w.micros(ns); }

void timeline_line(std::string& out, const SampledCall& call) {
  const Timeline& t = call.timeline;
  json::Writer w(out);
  w.begin_object();
  w.key("variant").string(call.variant);
  w.key("call_index").integer(static_cast<std::int64_t>(call.call_index));
  w.key("key").string(t.key);
  w.key("policy_id").string(t.policy_id);
  w.key("policy_source").string(to_string(t.policy_source));
  w.key("start_ms");
  milliseconds(w, nanoseconds(t.start));
  w.key("end_ms");
  milliseconds(w, nanoseconds(t.end));
  w.key("duration_ms");
  milliseconds(w, nanoseconds(t.end - t.start));
  w.key("final_reason").string(t.final_reason);
  w.key("circuit_state").string(to_string(t.circuit_state));
  w.key("circuit_probe").boolean(t.circuit_probe);
  w.key("modes_used").begin_array();
  for (std::string_view mode : t.modes_used) w.string(mode);
  w.end_array();
  w.key("attempts").begin_array();
  for (const AttemptRecord& a : t.attempts) {
    w.begin_object();
    w.key("index").integer(a.index);
    w.key("retry_index").integer(a.retry_index);
    w.key("is_hedge").boolean(a.is_hedge);
    w.key("hedge_index").integer(a.hedge_index);
    w.key("start_ms");
    milliseconds(w, nanoseconds(a.start));
    w.key("end_ms");
    milliseconds(w, nanoseconds(a.end));
    w.key("kind").string(to_string(a.kind));
    w.key("reason").string(a.reason);
    w.key("backoff_before_ms");
    milliseconds(w, nanoseconds(a.backoff_before));
    w.key("budget_reason").string(a.budget_reason);
    w.key("deadline_overrun").boolean(a.deadline_overrun);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  out += '\n';
}

// The row of each attempt (trace_rows.hpp), from the timeline's times.
struct Rows {
  std::vector<std::size_t> of_attempt;
  std::size_t count = 1;
};

Rows assign_rows(const Timeline& t) {
  std::vector<TraceSpan> spans;
  spans.reserve(t.attempts.size());
  for (const AttemptRecord& a : t.attempts) spans.push_back({nanoseconds(a.start), nanoseconds(a.end), a.is_hedge});
  TraceRows rows = assign_trace_rows(spans, nanoseconds(t.start), nanoseconds(t.end));
  return {std::move(rows.of_span), rows.count};
}

class TraceEvents {
 public:
  explicit TraceEvents(std::string& out) : out_(out) {}

  // process_name / thread_name: {"name":<event>,"ph":"M","pid":…[,"tid":…],"args":{"name":<name>}}
  void name(std::string_view event, std::int64_t pid, std::int64_t tid, std::string_view name) {
    metadata(event, pid, tid, "name").string(name).end_object().end_object();
  }
  // process_sort_index / thread_sort_index: keeps variants and calls in the report's order.
  void sort_index(std::string_view event, std::int64_t pid, std::int64_t tid, std::int64_t index) {
    metadata(event, pid, tid, "sort_index").integer(index).end_object().end_object();
  }

  // Opens an "X" event; the caller adds "args" and closes it.
  json::Writer complete(std::string_view name, std::string_view category, std::int64_t pid, std::int64_t tid,
                        TimePoint start, TimePoint end) {
    json::Writer w(next());
    w.begin_object().key("name").string(name).key("cat").string(category).key("ph").string("X");
    w.key("ts");
    microseconds(w, nanoseconds(start));
    w.key("dur");
    microseconds(w, std::max<std::int64_t>(nanoseconds(end - start), 0));
    w.key("pid").integer(pid).key("tid").integer(tid);
    return w;
  }

 private:
  // No tid (tid < 0) for process metadata.
  json::Writer metadata(std::string_view event, std::int64_t pid, std::int64_t tid, std::string_view arg) {
    json::Writer w(next());
    w.begin_object().key("name").string(event).key("ph").string("M").key("pid").integer(pid);
    if (tid >= 0) w.key("tid").integer(tid);
    w.key("args").begin_object().key(arg);
    return w;
  }

  std::string& next() {
    out_ += first_ ? "\n" : ",\n";
    first_ = false;
    return out_;
  }
  std::string& out_;
  bool first_ = true;
};

void call_events(TraceEvents& events, const SampledCall& call, std::int64_t pid, std::int64_t first_tid) {
  const Timeline& t = call.timeline;
  const Rows rows = assign_rows(t);
  for (std::size_t row = 0; row < rows.count; ++row) {
    const std::int64_t tid = first_tid + static_cast<std::int64_t>(row);
    std::string label = "call " + std::to_string(call.call_index);
    if (row == 1) label += " hedges";
    if (row > 1) label += " hedges " + std::to_string(row);
    events.name("thread_name", pid, tid, label);
    events.sort_index("thread_sort_index", pid, tid, tid);
  }
  json::Writer w = events.complete(t.key.empty() ? "call" : t.key, "call", pid, first_tid, t.start, t.end);
  w.key("args").begin_object();
  w.key("call_index").integer(static_cast<std::int64_t>(call.call_index));
  w.key("policy_id").string(t.policy_id);
  w.key("final_reason").string(t.final_reason);
  w.key("circuit_state").string(to_string(t.circuit_state));
  w.key("attempts").integer(static_cast<std::int64_t>(t.attempts.size()));
  w.end_object().end_object();
  for (std::size_t i = 0; i < t.attempts.size(); ++i) {
    const AttemptRecord& a = t.attempts[i];
    std::string name = "attempt " + std::to_string(a.index);
    if (a.is_hedge) name += " (hedge " + std::to_string(a.hedge_index) + ")";
    json::Writer e = events.complete(name, a.is_hedge ? "hedge" : "attempt", pid,
                                     first_tid + static_cast<std::int64_t>(rows.of_attempt[i]), a.start, a.end);
    e.key("args").begin_object();
    e.key("kind").string(to_string(a.kind)).key("reason").string(a.reason);
    e.key("budget_reason").string(a.budget_reason);
    e.key("retry_index").integer(a.retry_index).key("hedge_index").integer(a.hedge_index);
    e.key("backoff_before_ms");
    milliseconds(e, nanoseconds(a.backoff_before));
    e.end_object().end_object();
  }
}

}  // namespace

std::string timelines_jsonl(const ReportData& data) {
  std::string out;
  for (const SampledCall& call : data.samples) timeline_line(out, call);
  return out;
}

std::string trace_json(const ReportData& data) {
  // pid per variant name: the variants' order first, then any sample naming another variant.
  std::vector<std::string> processes;
  std::map<std::string, std::int64_t, std::less<>> pid_of;
  const auto pid = [&](const std::string& name) {
    auto [it, added] = pid_of.try_emplace(name, static_cast<std::int64_t>(processes.size()) + 1);
    if (added) processes.push_back(name);
    return it->second;
  };
  for (const VariantResult& v : data.variants) pid(v.name);
  for (const SampledCall& call : data.samples) pid(call.variant);

  std::string out = "{\"traceEvents\":[";
  TraceEvents events(out);
  for (std::size_t p = 0; p < processes.size(); ++p) {
    const auto id = static_cast<std::int64_t>(p) + 1;
    events.name("process_name", id, -1, processes[p].empty() ? "(unnamed variant)" : processes[p]);
    events.sort_index("process_sort_index", id, -1, id);
  }
  std::vector<std::int64_t> next_tid(processes.size() + 1, 1);
  for (const SampledCall& call : data.samples) {
    const std::int64_t id = pid(call.variant);
    const std::int64_t first_tid = next_tid[static_cast<std::size_t>(id)];
    next_tid[static_cast<std::size_t>(id)] += static_cast<std::int64_t>(assign_rows(call.timeline).count);
    call_events(events, call, id, first_tid);
  }
  out += "\n],\"displayTimeUnit\":\"ms\"}\n";
  return out;
}

}  // namespace recourse::host::report
