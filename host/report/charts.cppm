// recourse.host.report:charts (internal) — the five charts of report.html, each a complete
// <svg> element drawn from the whole ReportData, so variant i has the same colour in every one.
// Each renders something valid for any input: empty data gives axes and a "no data" note.
module;
#include <string>

#include "svg_chart.hpp"

module recourse.host.report:charts;

import :data;

namespace recourse::host::report {

std::string latency_cdf_chart(const ReportData& data);    // latency_cdf_chart.cpp
std::string dependency_load_chart(const ReportData& data);  // time_series_charts.cpp
std::string budget_tokens_chart(const ReportData& data);    // time_series_charts.cpp
std::string attempts_histogram_chart(const ReportData& data);  // attempts_histogram_chart.cpp
std::string circuit_state_chart(const ReportData& data);    // circuit_state_chart.cpp

// Shared by the charts over time (time_series_charts.cpp): the virtual time the run spans
// (never 0), and the dependency's phases as labelled shaded bands.
double run_length_s(const ReportData& data);
void shade_phases(svg::Chart& chart, const ReportData& data);

}  // namespace recourse::host::report
