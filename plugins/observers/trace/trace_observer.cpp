// The `trace` observer: every finished call as Chrome trace events, in the JSON Array Format
// (a file that is one JSON array of event objects), which chrome://tracing, Perfetto
// (ui.perfetto.dev) and speedscope open.
//
// Each call gets its own track: a fresh tid under pid 1, named after the key by a thread_name
// metadata event. On it, a complete event ("ph":"X") spans the whole call, and one per attempt
// ("attempt 0", "attempt 1", …) sits inside it, so the backoff between attempts is the gap
// between them. Hedges go on a row of their own (another tid, "<key> hedges"), since a hedge
// overlaps the attempt it races and complete events on one tid must nest; hedges that overlap
// each other get further rows. ts and dur are microseconds (the decimals carry the nanoseconds;
// see decision 0004) of the executor clock's time_since_epoch: steady_clock's for the
// system clock, virtual time for a VirtualClock.
//
// [observers.<name>] plugin = "trace", path = "…" (required; relative to the working
// directory). The file is truncated when the observer is created — one trace per run — and
// every call's events are written before its callback returns; the destructor writes the
// closing "]" so the file is valid JSON once the executor is gone. (Both viewers also open a
// trace whose "]" is missing, e.g. after a crash.)
#include <nlohmann/json.hpp>
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

#include "output_file.hpp"

import recourse.plugin;
import recourse.support.config;
import recourse.support.json;

namespace recourse::plugins {
namespace {

using support::OutputFile;

constexpr int pid = 1;

using support::Json;

std::string events_of(const Timeline& t, bool succeeded, const support::TraceRows& rows, std::int64_t first_tid) {
  std::string out;
  const auto add = [&out](const Json& event) { out += ",\n" + support::json_text(event); };
  for (std::size_t row = 0; row < rows.count; ++row) {
    const std::int64_t tid = first_tid + static_cast<std::int64_t>(row);
    std::string label = t.key;
    if (row == 1) label += " hedges";
    if (row > 1) label += " hedges " + std::to_string(row);
    add(support::trace_metadata("thread_name", pid, tid, "name", label));
    // Keeps a call's rows together, in order, whatever the viewer sorts by.
    add(support::trace_metadata("thread_sort_index", pid, tid, "sort_index", tid));
  }
  Json call = support::trace_complete(t.key, "call", pid, first_tid, t.start, t.end);
  call["args"] = Json{{"policy_id", t.policy_id},
                      {"policy_source", to_string(t.policy_source)},
                      {"final_reason", t.final_reason},
                      {"succeeded", succeeded},
                      {"attempts", t.attempts.size()}};
  add(call);
  for (std::size_t i = 0; i < t.attempts.size(); ++i) {
    const AttemptRecord& a = t.attempts[i];
    std::string name = "attempt " + std::to_string(a.index);
    if (a.is_hedge) name += " (hedge " + std::to_string(a.hedge_index) + ")";
    Json e = support::trace_complete(name, a.is_hedge ? "hedge" : "attempt", pid,
                                     first_tid + static_cast<std::int64_t>(rows.of_attempt[i]), a.start, a.end);
    // clang-format off: one argument a line, as in the other trace files
    Json args{{"reason", a.reason},
              {"kind", to_string(a.kind)},
              {"budget", a.budget_reason},
              {"retry_index", a.retry_index},
              {"hedge_index", a.hedge_index},
              {"backoff_before_us", support::microseconds(a.backoff_before)}};
    // clang-format on
    if (a.deadline_overrun) args["deadline_overrun"] = true;
    if (a.classifier_fallback) args["classifier_fallback"] = true;
    e["args"] = std::move(args);
    add(e);
  }
  return out;
}

}  // namespace

class TraceObserver final : public SelectiveObserver {
 public:
  ObserverEvents events() const noexcept override { return ObserverEvent::timeline | ObserverEvent::times; }

  explicit TraceObserver(const ComponentContext& context) {
    static constexpr std::string_view known[]{"plugin", "path"};
    const ConfigView& config = context.config;
    support::ConfigReader in(config, known);
    const auto path = in.string("path");
    if (config.find("path") == nullptr) in.fail("path", "path is required: the trace file to write");
    else if (path && path->empty()) in.fail("path", "path must not be empty");
    if (in.ok()) {
      auto file = OutputFile::open(*path, OutputFile::Mode::truncate);
      if (!file) in.fail("path", file.error());
      else file_ = std::move(*file);
    }
    in.finish();
    // Every later event starts with ",\n", so the array needs a first element: name the process.
    const std::string head =
        "[" + support::json_text(support::trace_metadata("process_name", pid, -1, "name", "recourse"));
    try {
      file_.write(head);
    } catch (const std::exception& e) {
      throw ConfigException(config.error("path", e.what()));
    }
  }

  ~TraceObserver() override { close(); }
  // A reload dropped it: the array is closed now (the file is valid JSON), not at destruction.
  void flush() noexcept override { close(); }

  void on_success(const CallInfo&, const Timeline& timeline) override { record(timeline, true); }
  void on_failure(const CallInfo&, const Timeline& timeline) override { record(timeline, false); }

 private:
  void close() noexcept {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    try {
      file_.write("\n]\n");
    } catch (...) {
      // Nowhere to report it from here; the viewers open an unclosed array anyway.
    }
  }

  // Calls finish on many threads: tids come from an atomic, the text is built outside the
  // lock, and one write under it keeps a call's events together.
  void record(const Timeline& timeline, bool succeeded) {
    const support::TraceRows rows = support::trace_rows(timeline);
    const std::int64_t first_tid = next_tid_.fetch_add(static_cast<std::int64_t>(rows.count));
    const std::string events = events_of(timeline, succeeded, rows, first_tid);
    std::lock_guard lock(mutex_);
    if (!closed_) file_.write(events);  // none reach it after flush(), but a closed array stays closed
  }

  std::atomic<std::int64_t> next_tid_{1};
  std::mutex mutex_;
  OutputFile file_;
  bool closed_ = false;  // the closing "]" is written
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("trace", "1.0.0", recourse::observer_component<recourse::plugins::TraceObserver>("trace"))
