// checkout_service: the facade in a service. It installs the process-wide runtime once, at
// start-up — from --config FILE, else from the file RECOURSE_CONFIG names — and its call sites
// name nothing but a key: recourse::run("payments.Charge", op). A library it uses
// (checkout.inventory) takes an Executor& instead, and gets the facade's.
//
//   checkout_service [--config FILE] [BUSY_ANSWERS]
//
// Each call's result goes to standard output. A config that fails to load stops the service
// (exit 2, every error located); with no config at all it says so and runs on the built-in
// policy, which the facade also announces once on standard error.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <expected>
#include <string>

import recourse.runtime;
import checkout.inventory;

int main(int argc, char** argv) {
  const char* config = nullptr;
  int busy_answers = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) config = argv[++i];
    else busy_answers = std::atoi(argv[i]);
  }

  // Once, before the first call. Installing again later would be refused, naming this line.
  auto installed = config != nullptr ? recourse::install(config) : recourse::install();
  if (!installed) {
    std::fprintf(stderr, "%s\n", installed.error().message().c_str());
    if (installed.error().reason != recourse::InstallError::Reason::no_config) return 2;
  } else {
    std::printf("policy from %s\n", recourse::default_runtime()->config_file().c_str());
  }

  // A call site: a key and the operation, nothing else.
  int charges = 0;
  auto charged = recourse::try_run("payments.Charge", [&](const recourse::Attempt&) -> std::expected<int, int> {
    if (++charges <= busy_answers) return std::unexpected(503);
    return 200;
  });
  if (charged) std::printf("payments.Charge: HTTP %d after %d attempt(s)\n", *charged, charges);
  else
    std::printf("payments.Charge: failed, %s after %d attempt(s)\n", std::string(charged.error().reason).c_str(),
                charged.error().attempts);

  // The library, on the facade's executor.
  const checkout::Reservation reservation = checkout::reserve(recourse::default_executor(), "sku-42", busy_answers);
  if (reservation.reserved) std::printf("inventory.Reserve: reserved after %d attempt(s)\n", reservation.attempts);
  else
    std::printf("inventory.Reserve: failed, %s after %d attempt(s)\n", reservation.reason.c_str(),
                reservation.attempts);

  // A second install is an error that names the first.
  if (auto again = recourse::install(); !again) std::printf("second install: %s\n", again.error().message().c_str());
  return charged && reservation.reserved ? 0 : 1;
}
