// The `jsonl` observer: one JSON object per finished call — its whole Timeline — per line,
// appended to a file and rotated by size.
//
//   {"key":"a.b","policy_id":"defaults","policy_source":"static","start_ns":0,"end_ns":36000000,
//    "duration_ns":36000000,"succeeded":true,"final_reason":"success","circuit_state":"closed",
//    "circuit_probe":false,"modes_used":[],"cardinality_limited":false,
//    "normalization":[{"path":…,"before":…,"after":…}],
//    "attempts":[{"index":0,"retry_index":0,"is_hedge":false,"hedge_index":0,"start_ns":0,
//    "end_ns":2000000,"duration_ns":2000000,"kind":"retryable","reason":"retryable_error",
//    "backoff_before_ns":0,"budget_reason":"","deadline_overrun":false,
//    "classifier_fallback":false}, …]}
//
// Times (*_ns) are integer nanoseconds of the executor clock's time_since_epoch: for the
// system clock that is std::chrono::steady_clock (an arbitrary epoch, usually boot), for a
// VirtualClock its virtual time. They order and subtract within one process; they are not
// wall-clock dates.
//
// [observers.<name>] plugin = "jsonl", path = "…" (required; a relative path is relative to
// the working directory), max_bytes (default 10 MiB), max_files (default 3). Before a line
// that would take the file past max_bytes, path is renamed to path.1 (path.1 to path.2, …,
// path.<max_files> dropped) and a new file started; so at most max_files rotated files are
// kept besides the current one, and max_files = 0 just starts the file over. A line is never
// split: one longer than max_bytes goes whole into a fresh file.
#include <nlohmann/json.hpp>
#include <recourse/plugin.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "output_file.hpp"

import recourse.plugin;
import recourse.support.config;
import recourse.support.json;

namespace recourse::plugins {
namespace {

using support::OutputFile;

// One line per call: the timeline in nanoseconds (support::timeline_json, the mapping the
// simulator's timelines.jsonl uses too) and whether the call succeeded.
std::string to_json_line(const Timeline& t, bool succeeded) {
  return support::json_text(support::timeline_json(t, support::TimeUnit::nanoseconds, succeeded)) + '\n';
}

}  // namespace

class JsonlObserver final : public SelectiveObserver {
 public:
  ObserverEvents events() const noexcept override { return ObserverEvent::timeline | ObserverEvent::times; }

  explicit JsonlObserver(const ComponentContext& context) {
    static constexpr std::string_view known[]{"plugin", "path", "max_bytes", "max_files"};
    support::ConfigReader in(context.config, known);
    const auto path = in.string("path");
    if (in.view().find("path") == nullptr) in.fail("path", "path is required: the file to append call records to");
    else if (path && path->empty()) in.fail("path", "path must not be empty");
    else if (path) path_ = *path;
    if (auto bytes = in.integer("max_bytes", 1, std::numeric_limits<std::int64_t>::max()))
      max_bytes_ = static_cast<std::uint64_t>(*bytes);
    if (auto files = in.integer("max_files", 0, 1000)) max_files_ = static_cast<int>(*files);
    if (in.ok()) {
      auto file = OutputFile::open(path_, OutputFile::Mode::append);
      if (!file) in.fail("path", file.error());
      else file_ = std::move(*file);
    }
    in.finish();
  }

  void on_success(const CallInfo&, const Timeline& timeline) override { write(to_json_line(timeline, true)); }
  void on_failure(const CallInfo&, const Timeline& timeline) override { write(to_json_line(timeline, false)); }
  // A reload dropped it: every line is written already (one write per call); close the file
  // now rather than at destruction, so it is complete when the reload's last call ends.
  void flush() noexcept override {
    std::lock_guard lock(mutex_);
    file_.close();
    flushed_ = true;
  }

 private:
  // Calls finish on many threads: the line is built outside the lock, written under it.
  void write(const std::string& line) {
    std::lock_guard lock(mutex_);
    if (flushed_) return;  // none reach it after flush()
    if (!file_.is_open()) reopen(OutputFile::Mode::append);  // a failed rotation left it closed
    std::error_code rotation_failed;
    if (file_.size() > 0 && file_.size() + line.size() > max_bytes_) rotation_failed = rotate();
    file_.write(line);
    // Reported after the line is safe: the executor counts an observer's exception.
    if (rotation_failed) throw std::system_error(rotation_failed, "rotating \"" + path_ + "\"");
  }

  // Shifts path.N-1 → path.N … path → path.1 (rename replaces, so the oldest is dropped) and
  // starts a new file. Ends with a file open (or throws saying why not); returns the first
  // rename that failed.
  std::error_code rotate() {
    file_.close();
    std::error_code failed;
    if (max_files_ > 0) {
      for (int n = max_files_; n >= 1; --n) {
        const std::string from = n == 1 ? path_ : path_ + "." + std::to_string(n - 1);
        const std::string to = path_ + "." + std::to_string(n);
        if (std::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT && !failed)
          failed = std::error_code(errno, std::generic_category());
      }
    }
    // With nothing to keep, or a rename that failed, the current file starts over: better a
    // lost file than one that grows past max_bytes forever.
    reopen(max_files_ == 0 || failed ? OutputFile::Mode::truncate : OutputFile::Mode::append);
    return failed;
  }

  void reopen(OutputFile::Mode mode) {
    auto file = OutputFile::open(path_, mode);
    if (!file) throw std::runtime_error(file.error());
    file_ = std::move(*file);
  }

  std::string path_;
  std::uint64_t max_bytes_ = 10 * 1024 * 1024;
  int max_files_ = 3;
  std::mutex mutex_;
  OutputFile file_;
  bool flushed_ = false;
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("jsonl", "1.0.0", recourse::observer_component<recourse::plugins::JsonlObserver>("jsonl"))
