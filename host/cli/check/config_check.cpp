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
      // A value the file's reading refused (a date where a name goes) is not judged again.
      if (auto runtime = build_runtime(check.reading.config, std::move(options)); !runtime)
        for (ConfigError& e : without_places_of(std::move(runtime.error().errors), check.reading.errors.errors))
          check.errors.push_back(std::move(e));
    }
  }
  check.errors = in_file_order(std::move(check.errors));
  return check;
}

ConfigCheck check_config_file(const std::filesystem::path& file, bool build) {
  return check_config(read_config_file(file), build);
}

}  // namespace recourse::host
