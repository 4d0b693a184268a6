// The charts over the run's virtual time: load on the dependency and budget tokens, one line
// per variant, with the dependency's phases (an outage, a slowdown) shaded behind them so a
// retry storm lines up with its cause. Also the helpers every time chart shares.
module;
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "svg_chart.hpp"

module recourse.host.report;

import :charts;

namespace recourse::host::report {
namespace {

double bucket_width(const VariantResult& v) { return std::isfinite(v.bucket_s) && v.bucket_s > 0 ? v.bucket_s : 1; }

double largest(const std::vector<double>& values) {
  double m = 0;
  for (double v : values)
    if (std::isfinite(v)) m = std::max(m, v);
  return m;
}

}  // namespace

double run_length_s(const ReportData& data) {
  double length = std::isfinite(data.duration_s) ? std::max(data.duration_s, 0.0) : 0;
  for (const VariantResult& v : data.variants) {
    const double b = bucket_width(v);
    length = std::max({length, b * static_cast<double>(v.dependency_load.size()),
                       b * static_cast<double>(v.budget_tokens.size())});
  }
  return length > 0 ? length : 1;
}

void shade_phases(svg::Chart& chart, const ReportData& data) {
  // Pale tints that stay behind any variant's line; adjacent phases differ.
  static constexpr std::array<std::string_view, 4> tints{"#fbe3e0", "#fff1c9", "#e3f1dc", "#dfeaf7"};
  for (std::size_t i = 0; i < data.phases.size(); ++i) {
    const Interval& phase = data.phases[i];
    chart.band(phase.start_s, phase.end_s, tints[i % tints.size()], phase.label);
  }
}

std::string dependency_load_chart(const ReportData& data) {
  svg::Chart chart("dependency-load", "Load on the dependency over time (phases shaded)");
  double top = 0;
  for (const VariantResult& v : data.variants) top = std::max(top, largest(v.dependency_load));
  chart.x_axis(0, run_length_s(data), "time (s)");
  chart.y_axis(0, top * 1.05, "attempts/s reaching the dependency");
  shade_phases(chart, data);
  bool any = false;
  for (std::size_t i = 0; i < data.variants.size(); ++i) {
    const VariantResult& v = data.variants[i];
    if (v.dependency_load.empty()) {
      chart.legend(v.name + " (no data)", svg::colour(i));
      continue;
    }
    any = true;
    chart.step_line(v.dependency_load, 0, bucket_width(v), svg::colour(i), v.name);
    chart.legend(v.name, svg::colour(i));
  }
  if (!any) chart.note("no data: no load series");
  return chart.render();
}

std::string budget_tokens_chart(const ReportData& data) {
  svg::Chart chart("budget-tokens", "Retry budget tokens over time");
  double top = 0;
  for (const VariantResult& v : data.variants) top = std::max(top, largest(v.budget_tokens));
  chart.x_axis(0, run_length_s(data), "time (s)");
  chart.y_axis(0, top * 1.05, "tokens available");
  shade_phases(chart, data);
  bool any = false;
  for (std::size_t i = 0; i < data.variants.size(); ++i) {
    const VariantResult& v = data.variants[i];
    if (v.budget_tokens.empty()) {
      chart.legend(v.name + " (no budget)", svg::colour(i));
      continue;
    }
    any = true;
    // Each level is the one at its bucket's end.
    std::vector<svg::Point> points;
    points.reserve(v.budget_tokens.size());
    const double b = bucket_width(v);
    for (std::size_t k = 0; k < v.budget_tokens.size(); ++k)
      points.push_back({b * static_cast<double>(k + 1), std::isfinite(v.budget_tokens[k]) ? v.budget_tokens[k] : 0});
    chart.polyline(points, svg::colour(i), v.name);
    chart.legend(v.name, svg::colour(i));
  }
  if (!any) chart.note(data.variants.empty() ? "no data" : "no budget in any variant");
  return chart.render();
}

}  // namespace recourse::host::report
