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

}  // namespace recourse::host
