// The core's build fingerprint and ConfigException (see descriptor.cppm).
module;
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recourse/fingerprint.h"

module recourse.plugin;

namespace recourse {

std::string_view to_string(ComponentCategory category) noexcept {
  switch (category) {
    case ComponentCategory::classifier: return "classifier";
    case ComponentCategory::backoff: return "backoff";
    case ComponentCategory::budget: return "budget";
    case ComponentCategory::observer: return "observer";
    case ComponentCategory::provider: return "provider";
    case ComponentCategory::trigger: return "trigger";
  }
  return "unknown";
}

Logger::~Logger() = default;

BuildFingerprint core_fingerprint() noexcept {
  return BuildFingerprint{RECOURSE_FINGERPRINT_COMPILER, __cplusplus, RECOURSE_FINGERPRINT_STDLIB,
                          RECOURSE_FINGERPRINT_CXX11_ABI, version.data()};
}

ConfigException::ConfigException(std::vector<ConfigError> errors) : errors_(std::move(errors)) {
  for (const ConfigError& e : errors_) message_ += (message_.empty() ? "" : "\n") + to_string(e);
}

ConfigException::ConfigException(ConfigError error) : ConfigException(std::vector<ConfigError>{std::move(error)}) {}

const char* ConfigException::what() const noexcept { return message_.c_str(); }
const std::vector<ConfigError>& ConfigException::errors() const noexcept { return errors_; }

}  // namespace recourse
