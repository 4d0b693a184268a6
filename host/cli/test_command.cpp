// `recourse test FILE|DIR…`: runs policy scenarios in virtual time and prints one line per
// call, PASS or FAIL with what differed. Exit 0 only if every call of every file passed.
#include <fmt/format.h>

#include <algorithm>
#include <expected>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "arguments.hpp"
#include "commands.hpp"
#include "terminal_text.hpp"

import recourse.host.scenario;

namespace recourse::cli {
namespace {

constexpr std::string_view help = R"(usage: recourse test FILE|DIR...

Runs policy scenarios (*.toml; directories are searched recursively, in name order) through
the real executor on a virtual clock. Prints PASS or FAIL for every call, then a summary line.
Exit codes: 0 all passed, 1 a call failed, 2 usage or a scenario file is invalid.
The format is described in docs/recourse-test.md.
)";

std::vector<std::filesystem::path> scenario_files(std::span<const std::string_view> args, bool& bad) {
  std::vector<std::filesystem::path> files;
  for (std::string_view arg : args) {
    const std::filesystem::path path(arg);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".toml") found.push_back(entry.path());
      std::ranges::sort(found);
      files.insert(files.end(), found.begin(), found.end());
    } else if (std::filesystem::is_regular_file(path, ec)) {
      files.push_back(path);
    } else {
      fmt::print(stderr, "recourse test: no such file or directory: {}\n", printable(arg));
      bad = true;
    }
  }
  return files;
}

}  // namespace

int test_command(std::span<const std::string_view> args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    fmt::print(args.empty() ? stderr : stdout, "{}", help);
    return args.empty() ? exit_usage : exit_ok;
  }
  // No options yet: a dash is a mistyped option, not a file to look for.
  for (std::string_view arg : args) {
    if (arg == "--help" || arg == "-h") return show_help(help);
    if (arg.starts_with("-")) return usage_error("test", fmt::format("unknown option \"{}\"", printable(arg)), help);
  }
  bool bad_input = false;
  const auto files = scenario_files(args, bad_input);
  int passed = 0, failed = 0;
  for (const auto& file : files) {
    auto scenario = host::load_scenario(file);
    if (scenario)
      for (const ConfigError& deprecated : scenario->config.deprecations)
        fmt::print("warning: {}\n", to_string(deprecated));
    auto reports = scenario ? host::run_scenario(*scenario) : std::unexpected(std::move(scenario.error()));
    if (!reports) {
      fmt::print("ERROR {}\n", printable(file.string()));
      print_error_lines(stdout, reports.error());
      bad_input = true;
      continue;
    }
    for (const auto& report : *reports) {
      const std::string where = printable(fmt::format("{} call {} ({})", file.string(), report.index, report.key));
      if (report.passed()) {
        ++passed;
        fmt::print("PASS {}\n", where);
      } else {
        ++failed;
        fmt::print("FAIL {}\n", where);
        for (const auto& m : report.mismatches) fmt::print("  {}\n", printable(m));
      }
    }
  }
  fmt::print("{} passed, {} failed\n", passed, failed);
  if (bad_input) return exit_usage;
  return failed == 0 ? exit_ok : exit_check_failed;
}

}  // namespace recourse::cli
