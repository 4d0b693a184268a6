// Field paths and name lists for config messages (see field_paths.hpp).
#include "field_paths.hpp"

#include <algorithm>
#include <cctype>

namespace recourse::host::field_paths {

std::string segment(std::string_view key) {
  const bool bare =
      !key.empty() && std::ranges::all_of(key, [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
  if (bare) return std::string(key);
  return "\"" + std::string(key) + "\"";
}

std::string join(std::string_view parent, std::string_view key) {
  if (parent.empty()) return segment(key);
  return std::string(parent) + "." + segment(key);
}

std::string join_names(const std::vector<std::string_view>& names) {
  std::string text;
  for (std::string_view n : names) text.append(text.empty() ? "" : ", ").append(n);
  return text;
}

}  // namespace recourse::host::field_paths
