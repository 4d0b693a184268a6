// Checking a config in one pass (see config_check.cppm).
module;
#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

module recourse.host.config_check;

namespace recourse::host {
namespace {

bool about_plugins_table(const ConfigError& error) {
  const std::string_view path = error.field_path;
  return path == "plugins" || path.starts_with("plugins.") || path.starts_with("plugins[");
}

}  // namespace

// Not stable_sort: here it instantiates libstdc++ 12's get_temporary_buffer, which clang 19
// warns is deprecated.
std::vector<ConfigError> in_file_order(std::vector<ConfigError> errors) {
  std::vector<std::size_t> order(errors.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::ranges::sort(order, std::less<>{}, [&](std::size_t i) {
    return std::tuple(errors[i].where.line, errors[i].where.column, i);
  });
  std::vector<ConfigError> sorted;
  sorted.reserve(errors.size());
  for (std::size_t i : order) sorted.push_back(std::move(errors[i]));
  return sorted;
}

ConfigCheck check_config(ConfigReading reading, bool build) {
  ConfigCheck check;
  check.reading = std::move(reading);
  check.errors = check.reading.errors.errors;
  if (check.reading.parsed && build) {
    if (std::ranges::any_of(check.errors, about_plugins_table)) {
      check.notes.emplace_back("[plugins] has errors, so no plugin was loaded: component names and component tables "
                               "are checked once it is fixed");
    } else {
      RuntimeOptions options;
      options.logger = make_spdlog_logger("recourse-check");
      options.create_observers_and_provider = false;
      options.log_deprecations = false;  // validate shows them as warnings
      if (auto runtime = build_runtime(check.reading.config, std::move(options)); !runtime)
        for (ConfigError& e : runtime.error().errors) check.errors.push_back(std::move(e));
    }
  }
  check.errors = in_file_order(std::move(check.errors));
  return check;
}

ConfigCheck check_config_file(const std::filesystem::path& file, bool build) {
  return check_config(read_config_file(file), build);
}

}  // namespace recourse::host
