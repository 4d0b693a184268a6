// recourse.host.report:summary_cells (internal) — the summary table as text cells, one place
// that decides the columns and how each number is written, for the terminal table and the
// HTML one alike.
module;
#include <string>
#include <vector>

module recourse.host.report:summary_cells;

import :data;

namespace recourse::host::report {

struct SummaryCells {
  std::vector<std::string> header;
  std::vector<bool> numeric;  // per column: right-aligned
  std::vector<std::vector<std::string>> rows;  // one per variant, header.size() cells each
};

SummaryCells summary_cells(const ReportData& data);  // summary_table.cpp

}  // namespace recourse::host::report
