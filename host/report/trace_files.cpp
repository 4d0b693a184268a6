// timelines.jsonl and trace.json: the sampled calls attempt by attempt, as JSON lines (for jq and
// scripts) and as Chrome trace events (for Perfetto and chrome://tracing). Times are virtual
// milliseconds (JSONL) or microseconds (trace) of the simulator clock's time_since_epoch,
// computed from integer nanoseconds, so they are exact and the same on every machine.
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

#include <nlohmann/json.hpp>

module recourse.host.report;

import recourse.support.json;

namespace recourse::host::report {
namespace {

using support::Json;

// The sampled call's variant and index, then its timeline (support::timeline_json, the mapping
// the jsonl observer uses too) in milliseconds.
void timeline_line(std::string& out, const SampledCall& call) {
  Json line{{"variant", call.variant}, {"call_index", call.call_index}};
  line.update(support::timeline_json(call.timeline, support::TimeUnit::milliseconds));
  out += support::json_text(line);
  out += '\n';
}

class TraceEvents {
 public:
  explicit TraceEvents(std::string& out) : out_(out) {}

  void add(const Json& event) {
    out_ += first_ ? "\n" : ",\n";
    first_ = false;
    out_ += support::json_text(event);
  }

 private:
  std::string& out_;
  bool first_ = true;
};

void call_events(TraceEvents& events, const SampledCall& call, const support::TraceRows& rows, std::int64_t pid,
                 std::int64_t first_tid) {
  const Timeline& t = call.timeline;
  for (std::size_t row = 0; row < rows.count; ++row) {
    const std::int64_t tid = first_tid + static_cast<std::int64_t>(row);
    std::string label = "call " + std::to_string(call.call_index);
    if (row == 1) label += " hedges";
    if (row > 1) label += " hedges " + std::to_string(row);
    events.add(support::trace_metadata("thread_name", pid, tid, "name", label));
    events.add(support::trace_metadata("thread_sort_index", pid, tid, "sort_index", tid));
  }
  Json span = support::trace_complete(t.key.empty() ? "call" : t.key, "call", pid, first_tid, t.start, t.end);
  span["args"] = Json{{"call_index", call.call_index},
                      {"policy_id", t.policy_id},
                      {"final_reason", t.final_reason},
                      {"circuit_state", to_string(t.circuit_state)},
                      {"attempts", t.attempts.size()}};
  events.add(span);
  for (std::size_t i = 0; i < t.attempts.size(); ++i) {
    const AttemptRecord& a = t.attempts[i];
    std::string name = "attempt " + std::to_string(a.index);
    if (a.is_hedge) name += " (hedge " + std::to_string(a.hedge_index) + ")";
    Json e = support::trace_complete(name, a.is_hedge ? "hedge" : "attempt", pid,
                                     first_tid + static_cast<std::int64_t>(rows.of_attempt[i]), a.start, a.end);
    // clang-format off: one argument a line, as in the other trace files
    e["args"] = Json{{"kind", to_string(a.kind)},
                     {"reason", a.reason},
                     {"budget_reason", a.budget_reason},
                     {"retry_index", a.retry_index},
                     {"hedge_index", a.hedge_index},
                     {"backoff_before_ms", support::milliseconds(a.backoff_before)}};
    // clang-format on
    events.add(e);
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
    events.add(support::trace_metadata("process_name", id, -1, "name",
                                       processes[p].empty() ? "(unnamed variant)" : processes[p]));
    events.add(support::trace_metadata("process_sort_index", id, -1, "sort_index", id));
  }
  std::vector<std::int64_t> next_tid(processes.size() + 1, 1);
  for (const SampledCall& call : data.samples) {
    const std::int64_t id = pid(call.variant);
    const std::int64_t first_tid = next_tid[static_cast<std::size_t>(id)];
    const support::TraceRows rows = support::trace_rows(call.timeline);
    next_tid[static_cast<std::size_t>(id)] += static_cast<std::int64_t>(rows.count);
    call_events(events, call, rows, id, first_tid);
  }
  out += "\n],\"displayTimeUnit\":\"ms\"}\n";
  return out;
}

}  // namespace recourse::host::report
