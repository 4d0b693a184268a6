// recourse.host.config:error — the errors of one configuration file. A single error is the
// core's recourse::ConfigError (plugins report theirs with the same type).
module;
#include <string>
#include <vector>

export module recourse.host.config:error;

import recourse.core;

export namespace recourse::host {

using ConfigError = recourse::ConfigError;

struct ConfigErrors {
  std::vector<ConfigError> errors;
};

// One line per error.
std::string to_string(const ConfigErrors& errors);

// Sorted into file order: by line and column; errors at one place keep their order (every
// refused plugin is reported at the [plugins] header).
std::vector<ConfigError> in_file_order(std::vector<ConfigError> errors);

// Same position and field path.
bool same_place(const ConfigError& a, const ConfigError& b) noexcept;

// `later` without the errors at a place one of `earlier` already reports: a value is judged
// once, by the first stage that refuses it (a TOML date where recourse takes text is reported
// by the copy into nodes; a reader refusing that value again would say the same thing worse).
std::vector<ConfigError> without_places_of(std::vector<ConfigError> later, const std::vector<ConfigError>& earlier);

}  // namespace recourse::host
