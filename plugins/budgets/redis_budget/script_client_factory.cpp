// redis_budget.cppm: what both backends do alike with their client — make it, and write and read
// the numbers its script takes and answers.
module;
#include <charconv>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "script_client.hpp"

module recourse.plugins.redis_budget;

namespace recourse::plugins::redis_budget {

std::shared_ptr<ScriptClient> make_script_client(const FleetSettings& fleet, std::string_view script,
                                                 const ComponentContext& context) {
  Clock* clock = context.host.clock;
  Logger* logger = context.host.logger;
  return std::make_shared<ScriptClient>(
      fleet.client, std::string(script), [clock] { return clock->now(); },
      [logger](const std::string& message) {
        if (logger != nullptr) logger->log(LogLevel::warn, message);
      });
}

std::string script_number(double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, ec == std::errc() ? end : buffer);
}

}  // namespace recourse::plugins::redis_budget
