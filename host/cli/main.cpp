// `recourse`: the command-line face of the library. Dispatches to one subcommand.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "terminal_text.hpp"

namespace {

constexpr std::string_view usage = R"(usage: recourse <command> [arguments]

commands:
  simulate CONFIG        what CONFIG's policies do to a modelled dependency (outage, slow tail),
                         in virtual time, side by side: table, report.html, traces
  validate CONFIG        every error in CONFIG at once (file:line:col), then warnings for
                         risky policies and keys that look generated
  explain CONFIG [KEY]   the effective, normalized policy of every key (or one key) in
                         CONFIG: where each field came from, the clamps applied, which plugin
                         serves each component, and the worst case of one call
  diff OLD NEW           what reloading OLD with NEW would change: effective fields per key
                         (with the new value's line), components, state reset, worst case
  test SCENARIO|DIR...   run policy scenarios in virtual time; PASS/FAIL per call
  plugins CONFIG         the plugins CONFIG loads (version, fingerprint, components) and refusals
  help [COMMAND]         this text, or a command's own (same as COMMAND --help)

simulate, validate, explain, diff and plugins take --format text|json. Every command answers --help.
Exit codes: 0 ok, 1 a check failed, 2 usage or configuration error.
)";

struct Command {
  std::string_view name;
  int (*run)(std::span<const std::string_view>);
};

constexpr Command commands[] = {
    {"simulate", recourse::cli::simulate_command}, {"validate", recourse::cli::validate_command},
    {"explain", recourse::cli::explain_command},   {"diff", recourse::cli::diff_command},
    {"test", recourse::cli::test_command},         {"plugins", recourse::cli::plugins_command},
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(usage.data(), stderr);
    return recourse::cli::exit_usage;
  }
  // `recourse help CMD` is `recourse CMD --help`.
  if (args[0] == "help" && args.size() == 2) args = {args[1], "--help"};
  if (args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(usage.data(), stdout);
    return recourse::cli::exit_ok;
  }
  for (const Command& c : commands)
    if (c.name == args[0]) return c.run(std::span(args).subspan(1));
  const std::string shown = recourse::cli::printable(args[0]);
  std::fprintf(stderr, "recourse: unknown command \"%s\"\n\n%s", shown.c_str(), usage.data());
  return recourse::cli::exit_usage;
}
