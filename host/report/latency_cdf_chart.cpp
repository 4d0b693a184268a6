// The latency CDF: for each variant, the fraction of calls that finished within x ms, on a log
// x axis so a 5 ms median and a 2 s tail share one chart. The curve is thinned to points that
// move it by at least 1/480 of either axis (under 1000 points however many calls), keeping the
// first and last so the extremes stay exact.
module;
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "svg_chart.hpp"

module recourse.host.report;

import :charts;

namespace recourse::host::report {
namespace {

constexpr double resolution = 1.0 / 480;

std::vector<double> sorted_finite(const std::vector<double>& values) {
  std::vector<double> out;
  out.reserve(values.size());
  for (double v : values)
    if (std::isfinite(v)) out.push_back(std::max(v, 0.0));
  std::ranges::sort(out);
  return out;
}

// Where the curve is drawn on a log axis: zero latencies sit at the axis minimum.
double log_position(double v, double axis_min) { return std::log10(std::max(v, axis_min)); }

std::vector<svg::Point> cdf_points(const std::vector<double>& sorted, double axis_min, double log_range) {
  std::vector<svg::Point> points;
  const double n = static_cast<double>(sorted.size());
  points.push_back({sorted.front(), 0});
  svg::Point last = points.back();
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const svg::Point p{sorted[i], static_cast<double>(i + 1) / n};
    const bool moved = p.y - last.y >= resolution ||
                       log_position(p.x, axis_min) - log_position(last.x, axis_min) >= log_range * resolution;
    if (moved || i + 1 == sorted.size()) {
      points.push_back(p);
      last = p;
    }
  }
  return points;
}

}  // namespace

std::string latency_cdf_chart(const ReportData& data) {
  svg::Chart chart("latency-cdf", "Latency CDF: share of calls finished within a time (successful or not)");
  std::vector<std::vector<double>> latencies;
  double lo = 0, hi = 0;
  for (const VariantResult& v : data.variants) {
    latencies.push_back(sorted_finite(v.latencies_ms));
    for (double x : latencies.back()) {
      if (x > 0 && (lo == 0 || x < lo)) lo = x;
      hi = std::max(hi, x);
    }
  }
  chart.x_axis(lo, hi, "latency (ms, log scale)", svg::Scale::log);
  chart.y_axis(0, 1, "fraction of calls");
  // Thinning is relative to what is drawn: the axis widened lo and hi to whole decades.
  const double axis_min = chart.x_min();
  const double log_range = std::log10(chart.x_max()) - std::log10(axis_min);

  bool any = false;
  for (std::size_t i = 0; i < data.variants.size(); ++i) {
    const std::string& name = data.variants[i].name;
    if (latencies[i].empty()) {
      chart.legend(name + " (no calls)", svg::colour(i));
      continue;
    }
    any = true;
    chart.polyline(cdf_points(latencies[i], axis_min, log_range), svg::colour(i), name);
    chart.legend(name, svg::colour(i));
  }
  if (!any) chart.note("no data: no call latencies");
  return chart.render();
}

}  // namespace recourse::host::report
