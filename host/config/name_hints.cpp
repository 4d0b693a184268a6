// "Did you mean" and known-name lists (see name_hints.cppm).
module;
#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

module recourse.host.config;

namespace recourse::host {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::vector<std::string_view> close_matches(std::string_view typo, std::span<const std::string_view> known) {
  std::vector<std::string_view> matches;
  for (std::string_view k : known)
    if (k != typo && edit_distance(typo, k) <= 2 && std::ranges::find(matches, k) == matches.end())
      matches.push_back(k);
  return matches;
}

std::string did_you_mean(std::string_view typo, std::span<const std::string_view> known) {
  const std::vector<std::string_view> close = close_matches(typo, known);
  if (close.empty()) return {};
  std::string text = " (did you mean ";
  for (std::size_t i = 0; i < close.size(); ++i) text.append(i ? ", " : "").append(close[i]);
  return text + "?)";
}

std::string known_names(std::span<const std::string_view> known) {
  if (known.empty()) return "none";
  std::string text;
  for (std::size_t i = 0; i < known.size(); ++i) text.append(i ? ", " : "").append(known[i]);
  return text;
}

std::string unknown_name(std::string_view what, std::string_view name, std::vector<std::string_view> known) {
  std::ranges::sort(known);
  const auto [first, last] = std::ranges::unique(known);
  known.erase(first, last);
  return "no " + std::string(what) + " named \"" + std::string(name) + "\"" + did_you_mean(name, known) +
         "; known: " + known_names(known);
}

}  // namespace recourse::host
