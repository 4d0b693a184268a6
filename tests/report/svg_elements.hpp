// Test helpers that look into report.html as text: its <svg> elements and what they draw.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace recourse::test {

// Every "<svg …>…</svg>" of a page, in order.
inline std::vector<std::string> svg_elements(std::string_view html) {
  std::vector<std::string> out;
  for (std::size_t at = html.find("<svg"); at != std::string_view::npos; at = html.find("<svg", at + 1)) {
    const std::size_t end = html.find("</svg>", at);
    if (end == std::string_view::npos) break;
    out.emplace_back(html.substr(at, end + 6 - at));
  }
  return out;
}

// The content of the chart's data group (<g class="data">…</g>): what it plots.
inline std::string data_group(std::string_view svg) {
  const std::string_view open = "<g class=\"data\">";
  const std::size_t at = svg.find(open);
  if (at == std::string_view::npos) return {};
  const std::size_t end = svg.find("</g>", at);
  return std::string(svg.substr(at + open.size(), end - at - open.size()));
}

inline std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

inline bool contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

}  // namespace recourse::test
