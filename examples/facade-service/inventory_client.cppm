// checkout.inventory: a library's client. It takes the Executor it runs on from its caller and
// never touches the process-wide runtime, so a program may run it on the facade's executor or
// on one of its own.
module;
#include <expected>
#include <string>
#include <system_error>

export module checkout.inventory;

import recourse.runtime;

export namespace checkout {

struct Reservation {
  bool reserved = false;
  int attempts = 0;
  std::string reason;  // why it failed: a reason code
};

// Reserves `item` from a stock service that refuses the first `busy_answers` requests.
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
