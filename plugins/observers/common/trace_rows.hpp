// Which row (Chrome trace "tid") each attempt of a call goes on, shared (header-only) by the
// trace observer and the simulator's trace.json. Rows must hold properly nested complete
// events: row 0 is the call's own, for primary attempts that fit inside the call without
// overlapping; a hedge, or an attempt that overlaps or spills out, takes the first extra row
// free at its start. Plain integers (nanoseconds), so it needs no recourse type.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

namespace recourse::plugins {

struct TraceSpan {
  std::int64_t start = 0;
  std::int64_t end = 0;
  bool is_hedge = false;
};

struct TraceRows {
  std::vector<std::size_t> of_span;  // the row of each span, in the order given
  std::size_t count = 1;
};

inline TraceRows assign_trace_rows(const std::vector<TraceSpan>& spans, std::int64_t call_start, std::int64_t call_end) {
  std::vector<std::size_t> order(spans.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // By start, then by position (a stable order without stable_sort's deprecated buffer).
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::pair(spans[a].start, a) < std::pair(spans[b].start, b);
  });
  std::vector<std::int64_t> busy_until{std::numeric_limits<std::int64_t>::min()};
  TraceRows rows;
  rows.of_span.resize(spans.size());
  for (std::size_t i : order) {
    const TraceSpan& s = spans[i];
    std::size_t row = 0;
    const bool fits_call_row = !s.is_hedge && busy_until[0] <= s.start && s.start >= call_start && s.end <= call_end;
    if (!fits_call_row) {
      row = 1;
      while (row < busy_until.size() && busy_until[row] > s.start) ++row;
      if (row == busy_until.size()) busy_until.push_back(std::numeric_limits<std::int64_t>::min());
    }
    busy_until[row] = std::max(busy_until[row], s.end);
    rows.of_span[i] = row;
  }
  rows.count = busy_until.size();
  return rows;
}

}  // namespace recourse::plugins
