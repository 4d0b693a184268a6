// Formatting of a file's configuration errors (see config_error.cppm).
module;
#include <string>

module recourse.host.config;

namespace recourse::host {

std::string to_string(const ConfigErrors& errors) {
  std::string text;
  for (const ConfigError& e : errors.errors) text += recourse::to_string(e) + "\n";
  return text;
}

}  // namespace recourse::host
