// `recourse plugins CONFIG`: what the config's [plugins] section loads — each plugin with its
// version, build fingerprint and components — and every file refused, with the reason.
#include <fmt/format.h>

#include <span>
#include <string>
#include <string_view>

#include "commands.hpp"

import recourse.host.plugins;

namespace recourse::cli {
namespace {

constexpr std::string_view help = R"(usage: recourse plugins CONFIG

Loads the plugins CONFIG's [plugins] section names and lists each with its version, build
fingerprint and components, then each refused file with the reason.
Exit codes: 0 all loaded, 1 something was refused, 2 usage or configuration error.
)";

}  // namespace

int plugins_command(std::span<const std::string_view> args) {
  if (args.size() != 1 || args[0] == "--help" || args[0] == "-h") {
    const bool asked = !args.empty() && (args[0] == "--help" || args[0] == "-h");
    fmt::print(asked ? stdout : stderr, "{}", help);
    return asked ? exit_ok : exit_usage;
  }
  auto config = host::load_config(std::string(args[0]));
  if (!config) {
    fmt::print(stderr, "{}", host::to_string(config.error()));
    return exit_usage;
  }
  if (!config->plugins.present) {
    fmt::print("{}: no [plugins] section; only the built-in components are available\n", args[0]);
    return exit_ok;
  }
  const host::PluginSet set = host::PluginSet::load(config->plugins);
  for (const host::PluginInfo& plugin : set.plugins()) {
    fmt::print("{} {}  {}\n  built with {}\n", plugin.name, plugin.version, plugin.file.string(), plugin.fingerprint);
    for (const auto& [category, name] : plugin.components) fmt::print("  {} {}\n", to_string(category), name);
  }
  for (const host::PluginRefusal& refusal : set.refusals())
    fmt::print("REFUSED {}: {}\n", refusal.file.string(), refusal.reason);
  fmt::print("{} loaded, {} refused\n", set.plugins().size(), set.refusals().size());
  return set.refusals().empty() ? exit_ok : exit_check_failed;
}

}  // namespace recourse::cli
