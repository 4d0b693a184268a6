// The attempts-per-call histogram: for each number of attempts that reached the dependency
// (0 when the circuit refused the call), how many calls made that many, one bar per variant
// side by side.
module;
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "svg_chart.hpp"

module recourse.host.report;

import :charts;

namespace recourse::host::report {

std::string attempts_histogram_chart(const ReportData& data) {
  svg::Chart chart("attempts-histogram", "Attempts per call");
  std::size_t slots = 0;
  std::uint64_t top = 0;
  for (const VariantResult& v : data.variants) {
    for (std::size_t n = 0; n < v.attempts_histogram.size(); ++n) {
      if (v.attempts_histogram[n] == 0) continue;
      slots = std::max(slots, n + 1);
      top = std::max(top, v.attempts_histogram[n]);
    }
  }
  std::vector<std::string> names;
  for (std::size_t n = 0; n < std::max<std::size_t>(slots, 1); ++n) names.push_back(std::to_string(n));
  chart.x_categories(std::move(names), "attempts reaching the dependency");
  chart.y_axis(0, static_cast<double>(top) * 1.05, "calls");
  for (std::size_t i = 0; i < data.variants.size(); ++i) {
    const VariantResult& v = data.variants[i];
    std::uint64_t calls = 0;
    for (std::uint64_t c : v.attempts_histogram) calls += c;
    for (std::size_t n = 0; n < std::min(slots, v.attempts_histogram.size()); ++n) {
      const std::uint64_t c = v.attempts_histogram[n];
      if (c == 0) continue;
      chart.bar(n, i, data.variants.size(), static_cast<double>(c), svg::colour(i),
                fmt::format("{}: {} calls with {} attempts ({:.2f}%)", v.name, c, n,
                            100.0 * static_cast<double>(c) / static_cast<double>(calls)));
    }
    chart.legend(calls > 0 ? v.name : v.name + " (no data)", svg::colour(i), svg::Chart::Swatch::box);
  }
  if (slots == 0) chart.note("no data: no attempt counts");
  return chart.render();
}

}  // namespace recourse::host::report
