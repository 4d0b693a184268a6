// Fuzz target: `recourse test` scenario files (host/scenario load_scenario, then run_scenario
// for small ones). load_scenario reads a path, so each input is written to one memfd per
// process and read back through /proc/self/fd/N. A scenario that loads and has at most
// max_run_calls calls is run, with [plugins] dropped (built-in components only) — in virtual
// time, so even long `take`s are cheap. Properties: errors are located (config_errors.hpp);
// a run reports exactly one result per call, in order, with a location inside the file.
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config_errors.hpp"
#include "fuzz_check.hpp"

import recourse.host.scenario;

using recourse::fuzz::check;

namespace {

constexpr std::size_t max_run_calls = 4;

// The memfd every input is written to, and its path.
struct InputFile {
  int fd = -1;
  std::string path;
  InputFile() {
    fd = ::memfd_create("scenario_fuzz.toml", MFD_CLOEXEC);
    if (fd < 0) std::abort();
    path = "/proc/self/fd/" + std::to_string(fd);
  }
  void write(const std::uint8_t* data, std::size_t size) const {
    if (::ftruncate(fd, 0) != 0) std::abort();
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::pwrite(fd, data + done, size - done, static_cast<off_t>(done));
      if (n <= 0) std::abort();
      done += static_cast<std::size_t>(n);
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const InputFile file;
  file.write(data, size);
  auto scenario = recourse::host::load_scenario(file.path);
  if (!scenario) {
    recourse::fuzz::check_errors(scenario.error(), file.path);
    return 0;
  }
  check(!scenario->calls.empty(), "a loaded scenario has calls");
  for (const recourse::host::ScenarioCall& call : scenario->calls)
    check(call.where.line >= 1 && !call.script.empty(), "a call is located and has a script", call.key);
  if (scenario->calls.size() > max_run_calls) return 0;

  scenario->config.plugins = recourse::host::PluginSettings{};
  auto reports = recourse::host::run_scenario(*scenario);
  if (!reports) {
    recourse::fuzz::check_errors(reports.error(), file.path);
    return 0;
  }
  check(reports->size() == scenario->calls.size(), "one report per call");
  for (std::size_t i = 0; i < reports->size(); ++i) {
    const recourse::host::CallReport& report = (*reports)[i];
    check(report.index == i + 1, "reports are in call order", report.key);
    check(report.key == scenario->calls[i].key, "a report names its call's key", report.key);
    for (const std::string& mismatch : report.mismatches) check(!mismatch.empty(), "a mismatch says what", report.key);
  }
  return 0;
}
