// Formatting a warning (see warning.cppm).
module;
#include <string>

module recourse.host.analysis;

namespace recourse::host {

std::string to_string(const Warning& warning) {
  std::string text = recourse::to_string(warning.where);
  if (!text.empty()) text += ": ";
  return text + "warning: " + warning.key + ": " + warning.message + " [" + warning.code + "]";
}

}  // namespace recourse::host
