// ConfigReader (see config_reader.cppm): ConfigView's getters, with the errors kept.
module;
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module recourse.support.config;

namespace recourse::support {

ConfigReader::ConfigReader(const ConfigView& view, std::span<const std::string_view> known)
    : view_(view), errors_(view.unknown_fields(known)) {}

template <class T>
std::optional<T> ConfigReader::take(std::string_view key, ConfigResult<std::optional<T>> result,
                                    const std::optional<Required>& need) {
  if (!result) {
    errors_.push_back(std::move(result.error()));
    return std::nullopt;
  }
  if (!*result && need)
    fail(key, "missing required field \"" + std::string(key) + "\" (" + std::string(need->what) + ")");
  return std::move(*result);
}

std::optional<bool> ConfigReader::boolean(std::string_view key, std::optional<Required> need) {
  return take(key, view_.boolean(key), need);
}
std::optional<std::int64_t> ConfigReader::integer(std::string_view key, std::int64_t min, std::int64_t max,
                                                  std::optional<Required> need) {
  return take(key, view_.integer(key, min, max), need);
}
std::optional<double> ConfigReader::number(std::string_view key, double min, double max, std::optional<Required> need) {
  return take(key, view_.number(key, min, max), need);
}
std::optional<std::string> ConfigReader::string(std::string_view key, std::optional<Required> need) {
  return take(key, view_.string(key), need);
}
std::optional<Duration> ConfigReader::duration(std::string_view key, std::optional<Required> need) {
  return take(key, view_.duration(key), need);
}
std::optional<Duration> ConfigReader::duration(std::string_view key, Duration min, Duration max,
                                               std::optional<Required> need) {
  const std::optional<Duration> d = duration(key, need);
  if (!d || (*d >= min && *d <= max)) return d;
  const auto ms = [](Duration v) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(v).count());
  };
  fail(key, "must be between " + ms(min) + "ms and " + ms(max) + "ms");
  return std::nullopt;
}
std::optional<std::filesystem::path> ConfigReader::path(std::string_view key, std::optional<Required> need) {
  std::optional<std::string> text = string(key, need);
  if (!text) return std::nullopt;
  std::filesystem::path file(std::move(*text));
  return file.is_relative() ? std::filesystem::path(view_.where().file).parent_path() / file : file;
}
std::optional<std::vector<std::string>> ConfigReader::strings(std::string_view key, std::optional<Required> need) {
  return take(key, view_.strings(key), need);
}

void ConfigReader::fail(std::string_view key, std::string message) {
  errors_.push_back(view_.error(key, std::move(message)));
}
void ConfigReader::fail(ConfigError error) { errors_.push_back(std::move(error)); }

void ConfigReader::finish() {
  if (!errors_.empty()) throw ConfigException(std::exchange(errors_, {}));
}

}  // namespace recourse::support
