// Formatting and ordering of a file's configuration errors (see config_error.cppm).
module;
#include <algorithm>
#include <cstddef>
#include <string>
#include <tuple>
#include <vector>

module recourse.host.config;

namespace recourse::host {

std::string to_string(const ConfigErrors& errors) {
  std::string text;
  for (const ConfigError& e : errors.errors) text += recourse::to_string(e) + "\n";
  return text;
}

// Not stable_sort: it instantiates libstdc++ 12's get_temporary_buffer, which clang 19 warns is
// deprecated; sorting indices keeps the order of equal positions as well.
std::vector<ConfigError> in_file_order(std::vector<ConfigError> errors) {
  std::vector<std::size_t> order(errors.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::ranges::sort(order, std::less<>{},
                    [&](std::size_t i) { return std::tuple(errors[i].where.line, errors[i].where.column, i); });
  std::vector<ConfigError> sorted;
  sorted.reserve(errors.size());
  for (std::size_t i : order) sorted.push_back(std::move(errors[i]));
  return sorted;
}

bool same_place(const ConfigError& a, const ConfigError& b) noexcept {
  return a.where.line == b.where.line && a.where.column == b.where.column && a.where.file == b.where.file &&
         a.field_path == b.field_path;
}

std::vector<ConfigError> without_places_of(std::vector<ConfigError> later, const std::vector<ConfigError>& earlier) {
  std::erase_if(later, [&](const ConfigError& e) {
    return std::ranges::any_of(earlier, [&](const ConfigError& first) { return same_place(first, e); });
  });
  return later;
}

}  // namespace recourse::host
