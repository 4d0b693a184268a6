// The `jsonl` observer: one JSON object per finished call — its whole Timeline — per line,
// appended to a file and rotated by size.
//
//   {"key":"a.b","policy_id":"defaults","policy_source":"static","start_ns":0,"end_ns":36000000,
//    "duration_ns":36000000,"succeeded":true,"final_reason":"success","modes_used":[],
//    "cardinality_limited":false,"normalization":[{"path":…,"before":…,"after":…}],
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

#include "../common/json_writer.hpp"
#include "../common/output_file.hpp"

import recourse.plugin;

namespace recourse::plugins {
namespace {

std::int64_t nanoseconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
std::int64_t nanoseconds(Duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }

std::string to_json_line(const Timeline& t, bool succeeded) {
  std::string line;
  line.reserve(256 + 320 * t.attempts.size());
  json::Writer w(line);
  w.begin_object();
  w.key("key").string(t.key);
  w.key("policy_id").string(t.policy_id);
  w.key("policy_source").string(to_string(t.policy_source));
  w.key("start_ns").integer(nanoseconds(t.start));
  w.key("end_ns").integer(nanoseconds(t.end));
  w.key("duration_ns").integer(nanoseconds(t.end - t.start));
  w.key("succeeded").boolean(succeeded);
  w.key("final_reason").string(t.final_reason);
  w.key("modes_used").begin_array();
  for (std::string_view mode : t.modes_used) w.string(mode);
  w.end_array();
  w.key("cardinality_limited").boolean(t.cardinality_limited);
  w.key("normalization").begin_array();
  for (const FieldChange& change : t.normalization) {
    w.begin_object();
    w.key("path").string(change.path);
    w.key("before").string(change.before);
    w.key("after").string(change.after);
    w.end_object();
  }
  w.end_array();
  w.key("attempts").begin_array();
  for (const AttemptRecord& a : t.attempts) {
    w.begin_object();
    w.key("index").integer(a.index);
    w.key("retry_index").integer(a.retry_index);
    w.key("is_hedge").boolean(a.is_hedge);
    w.key("hedge_index").integer(a.hedge_index);
    w.key("start_ns").integer(nanoseconds(a.start));
    w.key("end_ns").integer(nanoseconds(a.end));
    w.key("duration_ns").integer(nanoseconds(a.end - a.start));
    w.key("kind").string(to_string(a.kind));
    w.key("reason").string(a.reason);
    w.key("backoff_before_ns").integer(nanoseconds(a.backoff_before));
    w.key("budget_reason").string(a.budget_reason);
    w.key("deadline_overrun").boolean(a.deadline_overrun);
    w.key("classifier_fallback").boolean(a.classifier_fallback);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  line += '\n';
  return line;
}

}  // namespace

class JsonlObserver final : public Observer {
 public:
  explicit JsonlObserver(const ComponentContext& context) {
    static constexpr std::string_view known[]{"plugin", "path", "max_bytes", "max_files"};
    const ConfigView& config = context.config;
    std::vector<ConfigError> errors = config.unknown_fields(known);
    if (auto path = config.string("path"); !path) errors.push_back(path.error());
    else if (!*path) errors.push_back(config.error("path", "path is required: the file to append call records to"));
    else if ((*path)->empty()) errors.push_back(config.error("path", "path must not be empty"));
    else path_ = **path;
    if (auto bytes = config.integer("max_bytes", 1, std::numeric_limits<std::int64_t>::max()); !bytes)
      errors.push_back(bytes.error());
    else if (*bytes) max_bytes_ = static_cast<std::uint64_t>(**bytes);
    if (auto files = config.integer("max_files", 0, 1000); !files) errors.push_back(files.error());
    else if (*files) max_files_ = static_cast<int>(**files);
    if (errors.empty()) {
      auto file = OutputFile::open(path_, OutputFile::Mode::append);
      if (!file) errors.push_back(config.error("path", file.error()));
      else file_ = std::move(*file);
    }
    if (!errors.empty()) throw ConfigException(std::move(errors));
  }

  void on_success(const CallInfo&, const Timeline& timeline) override { write(to_json_line(timeline, true)); }
  void on_failure(const CallInfo&, const Timeline& timeline) override { write(to_json_line(timeline, false)); }

 private:
  // Calls finish on many threads: the line is built outside the lock, written under it.
  void write(const std::string& line) {
    std::lock_guard lock(mutex_);
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
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("jsonl", "1.0.0", recourse::observer_component<recourse::plugins::JsonlObserver>("jsonl"))
