// The circuit state over time: one row per variant, coloured spans for closed, open and
// half_open. A breaker that flaps thousands of times would mean thousands of rects, so past
// max_spans a row is drawn in max_spans columns, each showing the most severe state it held
// (open over half_open over closed): a short opening never disappears.
module;
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "svg_chart.hpp"

module recourse.host.report;

import :charts;

namespace recourse::host::report {
namespace {

constexpr std::size_t max_spans = 1000;

struct StateStyle {
  std::string_view label, colour;
};
// In increasing severity; index 0 (closed) is the healthy state.
constexpr StateStyle styles[]{
    {"closed", "#8fd19e"}, {"other", "#bbbbbb"}, {"half_open", "#f0b429"}, {"open", "#d9534f"}};

std::size_t severity(std::string_view label) {
  if (label == "closed") return 0;
  if (label == "half_open") return 2;
  if (label == "open") return 3;
  return 1;
}

struct Span {
  double start, end;
  std::size_t severity;
  std::string label;
};

std::vector<Span> spans_of(const std::vector<Interval>& states, double length) {
  std::vector<Span> spans;
  for (const Interval& s : states) {
    if (!std::isfinite(s.start_s) || !std::isfinite(s.end_s) || s.end_s < s.start_s) continue;
    spans.push_back({s.start_s, s.end_s, severity(s.label), s.label});
  }
  if (spans.size() <= max_spans) return spans;
  // Rasterize: each column takes the most severe state overlapping it; runs are merged.
  const double column = length / max_spans;
  std::vector<int> worst(max_spans, -1);
  for (const Span& s : spans) {
    const auto first = static_cast<std::size_t>(std::clamp(std::floor(s.start / column), 0.0, max_spans - 1.0));
    const auto last = static_cast<std::size_t>(std::clamp(std::ceil(s.end / column) - 1, 0.0, max_spans - 1.0));
    for (std::size_t c = first; c <= last; ++c) worst[c] = std::max(worst[c], static_cast<int>(s.severity));
  }
  std::vector<Span> merged;
  for (std::size_t c = 0; c < max_spans; ++c) {
    if (worst[c] < 0) continue;
    const auto sev = static_cast<std::size_t>(worst[c]);
    if (!merged.empty() && merged.back().severity == sev && merged.back().end == column * static_cast<double>(c))
      merged.back().end = column * static_cast<double>(c + 1);
    else
      merged.push_back({column * static_cast<double>(c), column * static_cast<double>(c + 1), sev,
                        std::string(styles[sev].label)});
  }
  return merged;
}

}  // namespace

std::string circuit_state_chart(const ReportData& data) {
  svg::Chart chart("circuit-state", "Circuit state over time");
  const double length = run_length_s(data);
  std::vector<std::string> rows;
  for (const VariantResult& v : data.variants) rows.push_back(v.name);
  chart.y_categories(rows);
  chart.x_axis(0, length, "time (s)");
  shade_phases(chart, data);
  bool any = false, other = false;
  for (std::size_t i = 0; i < data.variants.size(); ++i) {
    const VariantResult& v = data.variants[i];
    const std::vector<Span> spans = spans_of(v.circuit_states, length);
    if (spans.empty()) {
      chart.row_note(i, "no circuit state recorded");
      continue;
    }
    any = true;
    for (const Span& s : spans) {
      other = other || s.severity == 1;
      chart.row_span(i, s.start, s.end, styles[s.severity].colour,
                     fmt::format("{}: {} from {:.3f} s to {:.3f} s", v.name, s.label, s.start, s.end));
    }
  }
  for (const StateStyle& style : styles)
    if (style.label != "other" || other) chart.legend(style.label, style.colour, svg::Chart::Swatch::box);
  if (!any) chart.note(data.variants.empty() ? "no data" : "no data: no circuit state recorded");
  return chart.render();
}

}  // namespace recourse::host::report
