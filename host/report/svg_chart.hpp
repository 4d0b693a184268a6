// A tiny SVG plotting helper for the report's charts: one plot area with a title, a numeric or
// category axis on each side, labelled ticks, shaded vertical bands, polylines, step lines,
// grouped bars, row spans and a legend. Charts are written once into a string; nothing here
// knows about simulations.
//
// Output is deterministic and always valid: every number goes through one fixed format
// ("{:.1f}" pixels), non-finite values land on the axis instead of becoming "nan", degenerate
// ranges are widened, and lines are capped at max_line_points so a long run stays small.
// Presentation attributes are set on the elements themselves, so a chart copied out of the page
// still renders.
//
// Plain C++ (not a module unit): the report's module units include it in their global module
// fragment, so it uses std types only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace recourse::host::report::svg {

// Text escaped for XML/HTML content and attribute values.
std::string escape(std::string_view text);

// One of eight colours that stay apart for colour-blind readers (Okabe-Ito, with black
// replaced by grey); variant i always gets colour(i).
std::string_view colour(std::size_t index);

struct Point {
  double x = 0;
  double y = 0;
};

// At most this many points per polyline (after dropping ones that fall on the same pixel).
inline constexpr std::size_t max_line_points = 1000;

// Keeps at most max_points of an x-ordered series: short series unchanged; otherwise, per chunk
// of consecutive points, its lowest and highest point in their original order, so spikes stay.
std::vector<Point> downsample(const std::vector<Point>& points, std::size_t max_points);

enum class Scale { linear, log };

class Chart {
 public:
  // `id` becomes the element id; `title` the visible heading and the <title>.
  Chart(std::string id, std::string title);

  // Numeric axes. A log axis needs min > 0 (anything else is replaced by a decade range).
  void x_axis(double min, double max, std::string label, Scale scale = Scale::linear);
  // The x range drawn: what x_axis was given, widened (whole decades on a log axis).
  double x_min() const { return x_.min; }
  double x_max() const { return x_.max; }
  void y_axis(double min, double max, std::string label);
  // Category axes: x slots for grouped bars (left to right), y rows for spans (top to bottom,
  // each named inside the plot above its spans).
  void x_categories(std::vector<std::string> names, std::string label);
  void y_categories(std::vector<std::string> names);

  // A shaded vertical band from x0 to x1 over the whole plot height, its label at the top.
  void band(double x0, double x1, std::string_view fill, std::string_view label);
  void polyline(const std::vector<Point>& points, std::string_view colour, std::string_view name);
  // values[i] holds from x0 + i·dx to x0 + (i+1)·dx.
  void step_line(const std::vector<double>& values, double x0, double dx, std::string_view colour,
                 std::string_view name);
  // Bar `series` of `series_count` in x slot `slot`, up from 0 to `value`; hover text `tip`.
  void bar(std::size_t slot, std::size_t series, std::size_t series_count, double value, std::string_view colour,
           std::string_view tip);
  // A coloured span of y row `row` from x0 to x1; hover text `tip`.
  void row_span(std::size_t row, double x0, double x1, std::string_view colour, std::string_view tip);
  // A text in a y row, in place of spans (e.g. "no circuit data").
  void row_note(std::size_t row, std::string_view text);

  enum class Swatch { line, box };
  void legend(std::string_view name, std::string_view colour, Swatch swatch = Swatch::line);
  // A message centred in the plot area ("no data").
  void note(std::string_view text);

  // The finished <svg> element.
  std::string render() const;

  // Pixel geometry, fixed so every chart lines up in the page.
  static constexpr double width = 1000;
  static constexpr double top = 58;  // the title and phase labels above the plot area

 private:
  struct Axis {
    double min = 0, max = 1;
    Scale scale = Scale::linear;
    std::string label;
    std::vector<std::string> categories;  // non-empty: a category axis
  };

  double left() const { return 64; }
  double right() const { return width - 24; }
  double bottom() const { return top + plot_height_; }
  double x_pixel(double x) const;
  double y_pixel(double y) const;
  double row_height() const;
  double row_top(std::size_t row) const;
  std::string axes() const;
  std::string legend_rows(double y, double& height) const;

  struct LegendEntry {
    std::string name, colour;
    Swatch swatch;
  };

  std::string id_, title_;
  double plot_height_ = 240;  // a row chart grows with its rows
  Axis x_, y_;
  std::string bands_, data_, notes_;
  std::vector<LegendEntry> legend_;
};

}  // namespace recourse::host::report::svg
