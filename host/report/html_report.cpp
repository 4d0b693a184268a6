// report.html: one self-contained page — inline CSS, inline SVG, no script, no font or image
// fetched — so it opens from a CI artifact or an e-mail attachment as it is. Run parameters and
// the model first, then the summary table, then the five charts with a line on how to read
// each. Every variable text is escaped; nothing depends on the time of writing.
module;
#include <fmt/format.h>

#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>

#include "svg_chart.hpp"

module recourse.host.report;

import :charts;
import :summary_cells;

namespace recourse::host::report {
namespace {

using svg::escape;

constexpr std::string_view style = R"(
body { margin: 0; background: #fff; color: #222; font: 14px/1.45 system-ui, "DejaVu Sans", sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
dl.parameters { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.parameters dt { color: #666; }
dl.parameters dd { margin: 0; font-family: "DejaVu Sans Mono", monospace; }
table.summary { border-collapse: collapse; font-size: 13px; width: 100%; }
.table-scroll { overflow-x: auto; }
table.summary th, table.summary td { padding: 4px 6px; border-bottom: 1px solid #e4e4e4; }
table.summary td { white-space: nowrap; }
table.summary th { text-align: left; background: #f5f5f5; font-weight: 600; vertical-align: bottom; }
table.summary .num { text-align: right; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
figure { margin: 18px 0 8px; }
figure svg { max-width: 100%; height: auto; }
figcaption, .note { color: #555; font-size: 13px; }
)";

struct ChartSection {
  std::string (*render)(const ReportData&);
  std::string_view caption;
};

constexpr ChartSection charts[]{
    {latency_cdf_chart,
     "Share of calls (y) that had finished within a latency (x, log scale), successful or not. A curve "
     "further left is faster; where it flattens short of 1 the tail is slow."},
    {dependency_load_chart,
     "Attempts per second that reached the dependency, per time bucket. Retries multiply it during an "
     "outage; a budget or an open circuit holds it down."},
    {attempts_histogram_chart,
     "How many calls made each number of attempts that reached the dependency (0: refused before any, "
     "e.g. by an open circuit)."},
    {budget_tokens_chart,
     "The retry budget's level at the end of each time bucket; at 0, retries and hedges are denied."},
    {circuit_state_chart,
     "The state of each variant's circuit breaker over the run: closed (calls go through), open (refused), "
     "half_open (probing)."},
};

std::string seconds(double s) { return fmt::format("{:.1f} s", std::isfinite(s) ? s : 0.0); }

void parameters(std::string& out, const ReportData& data) {
  const auto row = [&](std::string_view name, std::string_view value) {
    out += fmt::format("<dt>{}</dt><dd>{}</dd>\n", name, escape(value));
  };
  out += "<dl class=\"parameters\">\n";
  row("config", data.config_label);
  row("seed", fmt::format("{}", data.seed));
  row("clients", fmt::format("{}", data.clients));
  row("calls per variant", fmt::format("{}", data.calls_per_variant));
  row("variants", fmt::format("{}", data.variants.size()));
  row("virtual time", seconds(data.duration_s));
  out += "</dl>\n";
}

void model(std::string& out, const ReportData& data) {
  out += "<h2>Dependency model</h2>\n";
  out += fmt::format("<p>{}</p>\n", data.model_text.empty() ? "(no description)" : escape(data.model_text));
  if (data.phases.empty()) return;
  out += "<ul class=\"phases\">\n";
  for (const Interval& p : data.phases)
    out += fmt::format("<li>{:.1f} s – {:.1f} s: {}</li>\n", std::isfinite(p.start_s) ? p.start_s : 0.0,
                       std::isfinite(p.end_s) ? p.end_s : 0.0, escape(p.label));
  out += "</ul>\n";
}

void summary(std::string& out, const ReportData& data) {
  const SummaryCells cells = summary_cells(data);
  out += "<h2>Summary</h2>\n<div class=\"table-scroll\">\n<table class=\"summary\">\n<thead><tr>";
  for (std::size_t c = 0; c < cells.header.size(); ++c)
    out += fmt::format("<th{}>{}</th>", cells.numeric[c] ? " class=\"num\"" : "", escape(cells.header[c]));
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t r = 0; r < cells.rows.size(); ++r) {
    out += "<tr>";
    for (std::size_t c = 0; c < cells.rows[r].size(); ++c) {
      const std::string swatch =
          c == 0 ? fmt::format("<span class=\"swatch\" style=\"background:{}\"></span>", svg::colour(r)) : "";
      out += fmt::format("<td{}>{}{}</td>", cells.numeric[c] ? " class=\"num\"" : "", swatch,
                         escape(cells.rows[r][c]));
    }
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n</div>\n";
  out += "<p class=\"note\">Latency percentiles are nearest-rank over all calls. att/call: mean attempts "
         "reaching the dependency per call. load amp.: attempts reaching the dependency ÷ calls. "
         "circuit open s: virtual seconds the circuit spent open or half-open. failures by final reason: the "
         "most frequent reasons failed calls ended with, as a share of all calls.</p>\n";
  for (const std::string& note : data.notes) out += fmt::format("<p class=\"note\">Note: {}</p>\n", escape(note));
}

}  // namespace

std::string html_report(const ReportData& data) {
  const std::string title = data.title.empty() ? "recourse simulation report" : data.title;
  std::string out;
  out.reserve(64 * 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n", escape(title), style);
  out += fmt::format("<h1>{}</h1>\n", escape(title));
  parameters(out, data);
  model(out, data);
  summary(out, data);
  out += "<h2>Charts</h2>\n";
  for (const ChartSection& chart : charts) {
    out += "<figure>\n";
    out += chart.render(data);
    out += fmt::format("<figcaption>{}</figcaption>\n</figure>\n", chart.caption);
  }
  out += "<h2>Sampled calls</h2>\n";
  out += fmt::format(
      "<p>{} sampled calls, attempt by attempt, are in <code>timelines.jsonl</code> (one JSON object per "
      "line) and <code>trace.json</code> (Chrome trace events: open it in Perfetto or chrome://tracing).</p>\n",
      data.samples.size());
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace recourse::host::report
