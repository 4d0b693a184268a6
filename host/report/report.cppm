// recourse.host.report — turns a simulator run (ReportData) into output: the summary table for
// the terminal, a progress bar while it runs, and with `--report DIR` report.html (inline CSS
// and SVG charts, nothing fetched), timelines.jsonl and trace.json. Everything is a pure
// function of its input: the same data gives the same bytes. docs/report.md describes the files.
//
//   report::ProgressBar bar(total_calls, "calls");
//   ... bar.advance(); ...
//   bar.finish();
//   fmt::print("{}", report::summary_table(data));
//   if (auto written = report::write_report(data, dir); !written) fail(written.error());
module;
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <expected>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

export module recourse.host.report;

export import :data;

export namespace recourse::host::report {

// A final reason's share of a variant's calls.
struct ReasonShare {
  std::string reason;
  std::uint64_t calls = 0;
  double share = 0;  // calls / the variant's calls, 0..1
};

// The top failure reasons a summary shows.
inline constexpr std::size_t summary_reasons = 3;

// One variant's headline numbers. Percentiles are nearest-rank on the sorted latencies
// (the smallest value with at least p% of the calls at or below it); 0 when there are none.
struct Summary {
  double success_rate = 0;        // successes / calls, 0..1
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0;
  double max_ms = 0;
  double attempts_per_call = 0;   // mean of attempts_histogram (dependency_attempts / calls without one)
  double load_amplification = 0;  // dependency_attempts / calls
  std::vector<ReasonShare> top_failure_reasons;  // at most summary_reasons, most frequent first
};

// Non-finite latencies (a simulator bug) are left out rather than poisoning the order.
Summary summarize(const VariantResult& variant);

// A fixed-width text table, a header row and one row per variant, each line ending in '\n';
// then one "note: …" line per ReportData note.
std::string summary_table(const ReportData& data);

// The three files' contents, for callers that write them elsewhere (and for tests).
std::string html_report(const ReportData& data);      // report.html
std::string timelines_jsonl(const ReportData& data);  // one JSON object per sampled call, per line
std::string trace_json(const ReportData& data);       // Chrome trace events {"traceEvents":[…]}

// Writes report.html, timelines.jsonl and trace.json into `dir`, creating it if needed. The
// error names the path that could not be created or written, and why.
std::expected<void, std::string> write_report(const ReportData& data, const std::filesystem::path& dir);

// A one-line progress bar for long runs, redrawn in place on stderr, and only when stderr is a
// terminal: piped or in CI it prints nothing. advance() is an atomic add and a compare, so it
// can be called once per call from any thread; the bar is redrawn at most ~200 times.
class ProgressBar {
 public:
  ProgressBar(std::uint64_t total, std::string label);
  // Draws on `out` if `draw` is true, whatever it is (tests).
  ProgressBar(std::uint64_t total, std::string label, std::FILE* out, bool draw);
  ~ProgressBar();  // finish()
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  bool drawing() const noexcept { return out_ != nullptr; }
  void advance(std::uint64_t done = 1) noexcept;
  // Names what is running now ("variant 2/3: hedged"); redraws.
  void set_label(std::string label);
  // Draws the final state and ends the line; later calls do nothing.
  void finish() noexcept;

 private:
  void draw(std::uint64_t done) noexcept;

  std::uint64_t total_;
  std::string label_;
  std::FILE* out_;
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> next_draw_{0};
  std::mutex drawing_;
  bool finished_ = false;
};

}  // namespace recourse::host::report
