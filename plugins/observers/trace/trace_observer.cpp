// The `trace` observer: every finished call as Chrome trace events, in the JSON Array Format
// (a file that is one JSON array of event objects), which chrome://tracing, Perfetto
// (ui.perfetto.dev) and speedscope open.
//
// Each call gets its own track: a fresh tid under pid 1, named after the key by a thread_name
// metadata event. On it, a complete event ("ph":"X") spans the whole call, and one per attempt
// ("attempt 0", "attempt 1", …) sits inside it, so the backoff between attempts is the gap
// between them. Hedges go on a row of their own (another tid, "<key> hedges"), since a hedge
// overlaps the attempt it races and complete events on one tid must nest; hedges that overlap
// each other get further rows. ts and dur are microseconds (three decimals, so nanosecond
// precision survives) of the executor clock's time_since_epoch: steady_clock's for the
// system clock, virtual time for a VirtualClock.
//
// [observers.<name>] plugin = "trace", path = "…" (required; relative to the working
// directory). The file is truncated when the observer is created — one trace per run — and
// every call's events are written before its callback returns; the destructor writes the
// closing "]" so the file is valid JSON once the executor is gone. (Both viewers also open a
// trace whose "]" is missing, e.g. after a crash.)
#include <recourse/plugin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../common/json_writer.hpp"
#include "../common/trace_rows.hpp"
#include "../common/output_file.hpp"

import recourse.plugin;

namespace recourse::plugins {
namespace {

constexpr int pid = 1;

std::int64_t nanoseconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
std::int64_t nanoseconds(Duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }

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

// {"name":<name>,"ph":"M","pid":1,"tid":<tid>,"args":{<arg>:<value>}}; no tid when negative.
void metadata(std::string& out, std::string_view name, std::int64_t tid, std::string_view arg, auto&& value) {
  json::Writer w(out);
  w.begin_object().key("name").string(name).key("ph").string("M").key("pid").integer(pid);
  if (tid >= 0) w.key("tid").integer(tid);
  w.key("args").begin_object().key(arg);
  value(w);
  w.end_object().end_object();
}

void complete_event(json::Writer& w, std::string_view name, std::string_view category, std::int64_t tid,
                    TimePoint start, TimePoint end) {
  w.begin_object();
  w.key("name").string(name).key("cat").string(category).key("ph").string("X");
  w.key("ts").micros(nanoseconds(start)).key("dur").micros(nanoseconds(end - start));
  w.key("pid").integer(pid).key("tid").integer(tid);
}

std::string events_of(const Timeline& t, bool succeeded, const Rows& rows, std::int64_t first_tid) {
  std::string out;
  out.reserve(512 + 384 * t.attempts.size());
  for (std::size_t row = 0; row < rows.count; ++row) {
    const std::int64_t tid = first_tid + static_cast<std::int64_t>(row);
    std::string label = t.key;
    if (row == 1) label += " hedges";
    if (row > 1) label += " hedges " + std::to_string(row);
    out += ",\n";
    metadata(out, "thread_name", tid, "name", [&](json::Writer& w) { w.string(label); });
    // Keeps a call's rows together, in order, whatever the viewer sorts by.
    out += ",\n";
    metadata(out, "thread_sort_index", tid, "sort_index", [&](json::Writer& w) { w.integer(tid); });
  }
  out += ",\n";
  json::Writer call(out);
  complete_event(call, t.key, "call", first_tid, t.start, t.end);
  call.key("args").begin_object();
  call.key("policy_id").string(t.policy_id).key("policy_source").string(to_string(t.policy_source));
  call.key("final_reason").string(t.final_reason).key("succeeded").boolean(succeeded);
  call.key("attempts").integer(static_cast<std::int64_t>(t.attempts.size()));
  call.end_object().end_object();
  for (std::size_t i = 0; i < t.attempts.size(); ++i) {
    const AttemptRecord& a = t.attempts[i];
    std::string name = "attempt " + std::to_string(a.index);
    if (a.is_hedge) name += " (hedge " + std::to_string(a.hedge_index) + ")";
    out += ",\n";
    json::Writer w(out);
    complete_event(w, name, a.is_hedge ? "hedge" : "attempt", first_tid + static_cast<std::int64_t>(rows.of_attempt[i]),
                   a.start, a.end);
    w.key("args").begin_object();
    w.key("reason").string(a.reason).key("kind").string(to_string(a.kind)).key("budget").string(a.budget_reason);
    w.key("retry_index").integer(a.retry_index).key("hedge_index").integer(a.hedge_index);
    w.key("backoff_before_us").micros(nanoseconds(a.backoff_before));
    if (a.deadline_overrun) w.key("deadline_overrun").boolean(true);
    if (a.classifier_fallback) w.key("classifier_fallback").boolean(true);
    w.end_object().end_object();
  }
  return out;
}

}  // namespace

class TraceObserver final : public Observer {
 public:
  explicit TraceObserver(const ComponentContext& context) {
    static constexpr std::string_view known[]{"plugin", "path"};
    const ConfigView& config = context.config;
    std::vector<ConfigError> errors = config.unknown_fields(known);
    std::string path;
    if (auto p = config.string("path"); !p) errors.push_back(p.error());
    else if (!*p) errors.push_back(config.error("path", "path is required: the trace file to write"));
    else if ((*p)->empty()) errors.push_back(config.error("path", "path must not be empty"));
    else path = **p;
    if (errors.empty()) {
      auto file = OutputFile::open(path, OutputFile::Mode::truncate);
      if (!file) errors.push_back(config.error("path", file.error()));
      else file_ = std::move(*file);
    }
    if (!errors.empty()) throw ConfigException(std::move(errors));
    // Every later event starts with ",\n", so the array needs a first element: name the process.
    std::string head = "[";
    metadata(head, "process_name", -1, "name", [](json::Writer& w) { w.string("recourse"); });
    try {
      file_.write(head);
    } catch (const std::exception& e) {
      throw ConfigException(config.error("path", e.what()));
    }
  }

  ~TraceObserver() override {
    std::lock_guard lock(mutex_);
    try {
      file_.write("\n]\n");
    } catch (...) {
      // Nowhere to report it from a destructor; the viewers open an unclosed array anyway.
    }
  }

  void on_success(const CallInfo&, const Timeline& timeline) override { record(timeline, true); }
  void on_failure(const CallInfo&, const Timeline& timeline) override { record(timeline, false); }

 private:
  // Calls finish on many threads: tids come from an atomic, the text is built outside the
  // lock, and one write under it keeps a call's events together.
  void record(const Timeline& timeline, bool succeeded) {
    const Rows rows = assign_rows(timeline);
    const std::int64_t first_tid = next_tid_.fetch_add(static_cast<std::int64_t>(rows.count));
    const std::string events = events_of(timeline, succeeded, rows, first_tid);
    std::lock_guard lock(mutex_);
    file_.write(events);
  }

  std::atomic<std::int64_t> next_tid_{1};
  std::mutex mutex_;
  OutputFile file_;
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("trace", "1.0.0", recourse::observer_component<recourse::plugins::TraceObserver>("trace"))
