// Formatting of configuration errors (see config.cppm).
module;
#include <string>

module recourse.host.config;

namespace recourse::host {

std::string to_string(const ConfigError& error) {
  std::string text = recourse::to_string(error.where);
  if (!text.empty()) text += ": ";
  if (!error.field_path.empty()) text += error.field_path + ": ";
  return text + error.message;
}

std::string to_string(const ConfigErrors& errors) {
  std::string text;
  for (const ConfigError& e : errors.errors) text += to_string(e) + "\n";
  return text;
}

}  // namespace recourse::host
