// inventory_client.hpp: the reservation call, on the executor it is given.
#include "inventory_client.hpp"

#include <expected>
#include <string>
#include <system_error>

import recourse.runtime;

namespace checkout {

Reservation reserve(recourse::Executor& executor, const std::string& item, int busy_answers) {
  int answered = 0;
  const auto call_stock_service = [&](const recourse::Attempt&) -> std::expected<std::string, std::error_code> {
    if (answered++ < busy_answers)
      return std::unexpected(std::make_error_code(std::errc::resource_unavailable_try_again));
    return "reserved " + item;
  };
  auto result = executor.try_run("inventory.Reserve", call_stock_service);
  if (!result)
    return {.reserved = false, .attempts = result.error().attempts, .reason = std::string(result.error().reason)};
  return {.reserved = true, .attempts = answered, .reason = {}};
}

}  // namespace checkout
