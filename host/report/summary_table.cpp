// The summary table: its cells (shared with the HTML report) and the fixed-width text form for
// the terminal. Column widths follow the content, so long variant names never break alignment.
module;
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

module recourse.host.report;

import :summary_cells;

namespace recourse::host::report {
namespace {

// Milliseconds with about three significant digits: 0.42, 12.5, 1840.
std::string milliseconds(double ms) {
  if (ms < 10) return fmt::format("{:.2f}", ms);
  if (ms < 1000) return fmt::format("{:.1f}", ms);
  return fmt::format("{:.0f}", ms);
}

// "no_policy 100.00%", "max_attempts 2.10%, circuit_open 0.40%"; "-" when every call succeeded.
std::string reasons(const Summary& s) {
  std::string out;
  for (const ReasonShare& r : s.top_failure_reasons)
    out += fmt::format("{}{} {:.2f}%", out.empty() ? "" : ", ", r.reason, r.share * 100);
  return out.empty() ? "-" : out;
}

}  // namespace

SummaryCells summary_cells(const ReportData& data) {
  SummaryCells cells;
  cells.header = {"variant", "calls",   "success",     "p50 ms",     "p90 ms",        "p99 ms",
                  "p99.9 ms", "att/call", "load amp.", "budget denied", "hedges", "hedges won",
                  "circuit open s", "failures by final reason"};
  cells.numeric.assign(cells.header.size(), true);
  cells.numeric[0] = false;
  cells.numeric.back() = false;
  for (const VariantResult& v : data.variants) {
    const Summary s = summarize(v);
    cells.rows.push_back({
        v.name,
        fmt::format("{}", v.calls),
        fmt::format("{:.2f}%", s.success_rate * 100),
        milliseconds(s.p50_ms),
        milliseconds(s.p90_ms),
        milliseconds(s.p99_ms),
        milliseconds(s.p999_ms),
        fmt::format("{:.2f}", s.attempts_per_call),
        fmt::format("{:.2f}x", s.load_amplification),
        fmt::format("{}", v.budget_denials),
        fmt::format("{}", v.hedges_spawned),
        fmt::format("{}", v.hedges_won),
        fmt::format("{:.1f}", v.circuit_open_s),
        reasons(s),
    });
  }
  return cells;
}

std::string summary_table(const ReportData& data) {
  const SummaryCells cells = summary_cells(data);
  std::vector<std::size_t> widths(cells.header.size());
  for (std::size_t c = 0; c < widths.size(); ++c) {
    widths[c] = cells.header[c].size();
    for (const auto& row : cells.rows) widths[c] = std::max(widths[c], row[c].size());
  }
  const auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out += "  ";
      out += cells.numeric[c] ? fmt::format("{:>{}}", row[c], widths[c]) : fmt::format("{:<{}}", row[c], widths[c]);
    }
    // Trailing blanks of a left-aligned last column would only make diffs noisy.
    out.erase(out.find_last_not_of(' ') + 1);
    return out + '\n';
  };
  std::string out = line(cells.header);
  std::size_t total = 2 * (widths.size() - 1);
  for (std::size_t w : widths) total += w;
  out += std::string(total, '-') + '\n';
  for (const auto& row : cells.rows) out += line(row);
  for (const std::string& note : data.notes) out += "note: " + note + '\n';
  return out;
}

}  // namespace recourse::host::report
