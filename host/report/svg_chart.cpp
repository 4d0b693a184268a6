// The SVG plotting helper (svg_chart.hpp): pixel arithmetic, ticks and the element text.
#include "svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace recourse::host::report::svg {
namespace {

constexpr double tick_label_height = 18;
constexpr double axis_label_height = 20;
constexpr double legend_row_height = 18;
constexpr double char_width = 7;
constexpr double row_label_height = 20;
constexpr double row_chart_row_height = 56;  // a generous average for 12px sans-serif, for layout only

// Pixels with one decimal; a non-finite value (never expected) becomes 0 rather than "nan".
std::string px(double v) {
  if (!std::isfinite(v)) v = 0;
  std::string s = fmt::format("{:.1f}", v);
  if (s == "-0.0") s = "0.0";
  return s;
}

double finite_or(double v, double fallback) { return std::isfinite(v) ? v : fallback; }

// 1, 2 or 5 times a power of ten, about range/target.
double nice_step(double range, int target) {
  const double raw = range / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / magnitude;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * magnitude;
}

// Enough decimals to tell ticks `step` apart, and no "-0".
std::string tick_label(double v, double step) {
  if (std::abs(v) < step * 1e-6) v = 0;
  const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  return fmt::format("{:.{}f}", v, std::clamp(decimals, 0, 6));
}

std::vector<double> linear_ticks(double min, double max) {
  const double step = nice_step(max - min, 5);
  std::vector<double> ticks;
  const double first = std::ceil(min / step - 1e-9);
  for (int i = 0; i < 50; ++i) {
    const double v = (first + i) * step;
    if (v > max + step * 1e-9) break;
    ticks.push_back(v);
  }
  return ticks;
}

// Decades, and 2 and 5 between them when there are few decades.
std::vector<double> log_ticks(double min, double max) {
  std::vector<double> ticks;
  const int lo = static_cast<int>(std::floor(std::log10(min) + 1e-9));
  const int hi = static_cast<int>(std::ceil(std::log10(max) - 1e-9));
  const bool fine = hi - lo <= 2;
  for (int e = lo; e <= hi; ++e) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (m != 1.0 && !fine) continue;
      const double v = m * std::pow(10.0, e);
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) ticks.push_back(v);
    }
  }
  return ticks;
}

std::string log_tick_label(double v) {
  const int decimals = v >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(v) - 1e-9));
  return fmt::format("{:.{}f}", v, std::clamp(decimals, 0, 6));
}

void text(std::string& out, double x, double y, std::string_view anchor, std::string_view content,
          std::string_view extra = {}) {
  out += fmt::format(R"(<text x="{}" y="{}" text-anchor="{}"{}{}>{}</text>)", px(x), px(y), anchor,
                     extra.empty() ? "" : " ", extra, escape(content));
  out += '\n';
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters are not allowed in XML text; a label never needs one.
        out += static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' ? ' ' : c;
    }
  }
  return out;
}

std::string_view colour(std::size_t index) {
  static constexpr std::array<std::string_view, 8> palette{
      "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7f7f7f", "#a89200"};
  return palette[index % palette.size()];
}

std::vector<Point> downsample(const std::vector<Point>& points, std::size_t max_points) {
  if (points.size() <= max_points || max_points < 4) return points;
  std::vector<Point> kept;
  kept.reserve(max_points);
  const std::size_t chunks = max_points / 2;
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::size_t begin = points.size() * c / chunks, end = points.size() * (c + 1) / chunks;
    if (begin == end) continue;
    std::size_t lo = begin, hi = begin;
    for (std::size_t i = begin; i < end; ++i) {
      if (points[i].y < points[lo].y) lo = i;
      if (points[i].y > points[hi].y) hi = i;
    }
    kept.push_back(points[std::min(lo, hi)]);
    if (lo != hi) kept.push_back(points[std::max(lo, hi)]);
  }
  return kept;
}

Chart::Chart(std::string id, std::string title) : id_(std::move(id)), title_(std::move(title)) {}

void Chart::x_axis(double min, double max, std::string label, Scale scale) {
  min = finite_or(min, 0);
  max = finite_or(max, 1);
  if (scale == Scale::log) {
    if (!(min > 0)) min = 1;
    if (!(max > min)) max = min * 10;
    // Whole decades, so the ends are labelled.
    min = std::pow(10.0, std::floor(std::log10(min) + 1e-9));
    max = std::pow(10.0, std::ceil(std::log10(max) - 1e-9));
    if (!(max > min)) max = min * 10;
  } else if (!(max > min)) {
    max = min + 1;
  }
  x_ = Axis{min, max, scale, std::move(label), {}};
}

void Chart::y_axis(double min, double max, std::string label) {
  min = finite_or(min, 0);
  max = finite_or(max, 1);
  if (!(max > min)) max = min + 1;
  // Up to the next tick, so the top of the plot is labelled.
  const double step = nice_step(max - min, 5);
  max = min + std::ceil((max - min) / step - 1e-9) * step;
  y_ = Axis{min, max, Scale::linear, std::move(label), {}};
}

void Chart::x_categories(std::vector<std::string> names, std::string label) {
  x_ = Axis{0, static_cast<double>(std::max<std::size_t>(names.size(), 1)), Scale::linear, std::move(label),
            std::move(names)};
}

void Chart::y_categories(std::vector<std::string> names) {
  plot_height_ = row_chart_row_height * static_cast<double>(std::max<std::size_t>(names.size(), 2));
  y_ = Axis{0, static_cast<double>(std::max<std::size_t>(names.size(), 1)), Scale::linear, {}, std::move(names)};
}

double Chart::x_pixel(double x) const {
  double f;
  if (x_.scale == Scale::log) {
    if (!(x > 0)) x = x_.min;
    f = (std::log10(x) - std::log10(x_.min)) / (std::log10(x_.max) - std::log10(x_.min));
  } else {
    f = (x - x_.min) / (x_.max - x_.min);
  }
  return left() + std::clamp(finite_or(f, 0), 0.0, 1.0) * (right() - left());
}

double Chart::y_pixel(double y) const {
  const double f = (y - y_.min) / (y_.max - y_.min);
  return bottom() - std::clamp(finite_or(f, 0), 0.0, 1.0) * plot_height_;
}

double Chart::row_top(std::size_t row) const { return top + static_cast<double>(row) * row_height(); }

double Chart::row_height() const {
  return plot_height_ / static_cast<double>(std::max<std::size_t>(y_.categories.size(), 1));
}

void Chart::band(double x0, double x1, std::string_view fill, std::string_view label) {
  const double a = x_pixel(x0), b = x_pixel(x1);
  if (!(b > a)) return;
  bands_ += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>)", px(a),
                        px(top), px(b - a), px(plot_height_), fill, escape(label));
  bands_ += '\n';
  // Above the plot, where no line or row label can cover it.
  text(bands_, a + 2, top - 6, "start", label, R"(font-size="11" fill="#555")");
}

void Chart::polyline(const std::vector<Point>& points, std::string_view colour, std::string_view name) {
  if (points.empty()) return;
  std::string coords;
  std::string last;
  std::size_t count = 0;
  for (const Point& p : downsample(points, max_line_points)) {
    std::string xy = px(x_pixel(p.x)) + "," + px(y_pixel(p.y));
    if (xy == last) continue;  // same pixel as the previous point: adds nothing
    if (!coords.empty()) coords += ' ';
    coords += xy;
    last = std::move(xy);
    ++count;
  }
  data_ += fmt::format(
      R"(<polyline fill="none" stroke="{}" stroke-width="2" stroke-linejoin="round" points="{}"><title>{}</title></polyline>)",
      colour, coords, escape(name));
  data_ += '\n';
  if (count == 1) {  // a lone point draws no line: mark it
    const auto comma = last.find(',');
    data_ += fmt::format(R"(<circle cx="{}" cy="{}" r="3" fill="{}"/>)", last.substr(0, comma), last.substr(comma + 1),
                         colour);
    data_ += '\n';
  }
}

void Chart::step_line(const std::vector<double>& values, double x0, double dx, std::string_view colour,
                      std::string_view name) {
  std::vector<Point> points;
  points.reserve(values.size() * 2);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = finite_or(values[i], 0);
    points.push_back({x0 + static_cast<double>(i) * dx, v});
    points.push_back({x0 + static_cast<double>(i + 1) * dx, v});
  }
  polyline(points, colour, name);
}

void Chart::bar(std::size_t slot, std::size_t series, std::size_t series_count, double value,
                std::string_view colour, std::string_view tip) {
  const double slot_width = (right() - left()) / std::max(x_.max, 1.0);
  const double bar_width = slot_width * 0.8 / static_cast<double>(std::max<std::size_t>(series_count, 1));
  const double x = left() + static_cast<double>(slot) * slot_width + slot_width * 0.1 +
                   static_cast<double>(series) * bar_width;
  double y = y_pixel(finite_or(value, 0));
  // A handful of calls among thousands is still there: at least one pixel high.
  if (value > 0 && bottom() - y < 1) y = bottom() - 1;
  if (!(bottom() - y > 0)) return;
  data_ += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>)", px(x),
                       px(y), px(bar_width), px(bottom() - y), colour, escape(tip));
  data_ += '\n';
}

void Chart::row_span(std::size_t row, double x0, double x1, std::string_view colour, std::string_view tip) {
  const double a = x_pixel(x0), b = x_pixel(x1);
  if (!(b >= a)) return;
  data_ += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>)", px(a),
                       px(row_top(row) + row_label_height), px(std::max(b - a, 0.5)),
                       px(row_height() - row_label_height - 6), colour, escape(tip));
  data_ += '\n';
}

void Chart::row_note(std::size_t row, std::string_view content) {
  text(notes_, left() + 8, row_top(row) + (row_height() + row_label_height) / 2, "start", content,
       R"(fill="#777")");
}

void Chart::legend(std::string_view name, std::string_view colour, Swatch swatch) {
  legend_.push_back({std::string(name), std::string(colour), swatch});
}

void Chart::note(std::string_view content) {
  text(notes_, (left() + right()) / 2, top + plot_height_ / 2, "middle", content, R"(font-size="14" fill="#777")");
}

std::string Chart::axes() const {
  std::string grid, out;
  // Frame: the x axis and the y axis.
  out += fmt::format(R"(<path d="M{},{}V{}H{}" fill="none" stroke="#333"/>)", px(left()), px(top), px(bottom()),
                     px(right()));
  out += '\n';
  const double tick_y = bottom() + 15;
  if (!x_.categories.empty()) {
    const double slot_width = (right() - left()) / x_.max;
    for (std::size_t i = 0; i < x_.categories.size(); ++i)
      text(out, left() + (static_cast<double>(i) + 0.5) * slot_width, tick_y, "middle", x_.categories[i]);
  } else {
    const bool log = x_.scale == Scale::log;
    const std::vector<double> ticks = log ? log_ticks(x_.min, x_.max) : linear_ticks(x_.min, x_.max);
    const double step = log ? 1 : nice_step(x_.max - x_.min, 5);
    for (double v : ticks) {
      const double x = x_pixel(v);
      grid += fmt::format(R"(<path d="M{},{}V{}"/>)", px(x), px(top), px(bottom()));
      out += fmt::format(R"(<path d="M{},{}v5" stroke="#333"/>)", px(x), px(bottom()));
      text(out, x, tick_y, "middle", log ? log_tick_label(v) : tick_label(v, step));
    }
  }
  if (!y_.categories.empty()) {
    // Row names inside the plot, above their row: the plot keeps the same left edge as the
    // other charts, so their time axes line up.
    for (std::size_t i = 0; i < y_.categories.size(); ++i)
      text(out, left() + 6, row_top(i) + 14, "start", y_.categories[i], R"(font-weight="bold")");
  } else {
    const double step = nice_step(y_.max - y_.min, 5);
    for (double v : linear_ticks(y_.min, y_.max)) {
      const double y = y_pixel(v);
      grid += fmt::format(R"(<path d="M{},{}H{}"/>)", px(left()), px(y), px(right()));
      out += fmt::format(R"(<path d="M{},{}h-5" stroke="#333"/>)", px(left()), px(y));
      text(out, left() - 8, y + 4, "end", tick_label(v, step));
    }
  }
  if (!x_.label.empty())
    text(out, (left() + right()) / 2, bottom() + tick_label_height + 16, "middle", x_.label);
  if (!y_.label.empty()) {
    const double x = 16, y = top + plot_height_ / 2;
    text(out, x, y, "middle", y_.label, fmt::format(R"svg(transform="rotate(-90 {} {})")svg", px(x), px(y)));
  }
  return "<g class=\"grid\" stroke=\"#e6e6e6\">\n" + grid + "\n</g>\n<g class=\"axes\">\n" + out + "</g>\n";
}

std::string Chart::legend_rows(double y, double& height) const {
  std::string out;
  double x = left();
  height = legend_.empty() ? 0 : legend_row_height;
  for (const LegendEntry& e : legend_) {
    const double w = 30 + char_width * static_cast<double>(e.name.size()) + 16;
    if (x > left() && x + w > right()) {
      x = left();
      y += legend_row_height;
      height += legend_row_height;
    }
    if (e.swatch == Swatch::line)
      out += fmt::format(R"(<path d="M{},{}h22" stroke="{}" stroke-width="3"/>)", px(x), px(y - 4), e.colour);
    else
      out += fmt::format(R"(<rect x="{}" y="{}" width="22" height="10" fill="{}"/>)", px(x), px(y - 9), e.colour);
    text(out, x + 28, y, "start", e.name);
    x += w;
  }
  return out;
}

std::string Chart::render() const {
  const double legend_top = bottom() + tick_label_height + (x_.label.empty() ? 0 : axis_label_height) + 16;
  double legend_height = 0;
  const std::string legend = legend_rows(legend_top, legend_height);
  const double height = legend_top + legend_height;
  std::string out = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" id="{}" class="chart" width="{}" height="{}" viewBox="0 0 {} {}" font-family="sans-serif" font-size="12" role="img">)",
      escape(id_), px(width), px(height), px(width), px(height));
  out += '\n';
  out += fmt::format("<title>{}</title>\n", escape(title_));
  text(out, left(), 22, "start", title_, R"(font-size="15" font-weight="bold")");
  out += "<g class=\"bands\">\n" + bands_ + "</g>\n";
  out += axes();
  out += "<g class=\"data\">\n" + data_ + "</g>\n";
  out += "<g class=\"notes\">\n" + notes_ + "</g>\n";
  out += "<g class=\"legend\">\n" + legend + "</g>\n";
  out += "</svg>\n";
  return out;
}

}  // namespace recourse::host::report::svg
