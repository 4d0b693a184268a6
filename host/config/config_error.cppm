// recourse.host.config:error — one configuration problem, located and named.
module;
#include <string>
#include <vector>

export module recourse.host.config:error;

import recourse.core;

export namespace recourse::host {

struct ConfigError {
  SourceLocation where;
  std::string field_path;  // as written in TOML: policies."payments.Charge".retry.jitter
  std::string message;
};

// "file:line:col: field.path: message"
std::string to_string(const ConfigError& error);

struct ConfigErrors {
  std::vector<ConfigError> errors;
};

// One line per error.
std::string to_string(const ConfigErrors& errors);

}  // namespace recourse::host
