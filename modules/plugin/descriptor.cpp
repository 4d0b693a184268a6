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

bool has_factory(const PluginComponent& component) noexcept {
  const ComponentFactories& f = component.create;
  const int set = (f.classifier != nullptr) + (f.backoff != nullptr) + (f.budget != nullptr) + (f.observer != nullptr) +
                  (f.provider != nullptr) + (f.trigger != nullptr);
  if (set != 1) return false;
  switch (component.category) {
    case ComponentCategory::classifier: return f.classifier != nullptr;
    case ComponentCategory::backoff: return f.backoff != nullptr;
    case ComponentCategory::budget: return f.budget != nullptr;
    case ComponentCategory::observer: return f.observer != nullptr;
    case ComponentCategory::provider: return f.provider != nullptr;
    case ComponentCategory::trigger: return f.trigger != nullptr;
  }
  return false;  // a category this core does not know
}

Logger::~Logger() = default;
PolicyFileReader::~PolicyFileReader() = default;

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
