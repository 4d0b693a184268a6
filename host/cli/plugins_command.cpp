// `recourse plugins CONFIG`: what the config's [plugins] section loads — each plugin with its
// version, build fingerprint and components — and every file refused, with the reason; and,
// when its [provider] is a feed (a control plane), the feed's state after one start.
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "arguments.hpp"
#include "commands.hpp"
#include "json_output.hpp"
#include "terminal_text.hpp"

import recourse.host.plugins;
import recourse.host.runtime;

#include "feed_report.hpp"

namespace recourse::cli {
namespace {

constexpr std::string_view help = R"(usage: recourse plugins CONFIG [--format text|json]

Loads the plugins CONFIG's [plugins] section names and lists each with its version, build
fingerprint and components, then each refused file with the reason. When its [provider] is a
feed (the http or etcd provider), the runtime is started once, without its observers, and the
feed's state printed: its URL or etcd key, the document's version, the last fetch and how long
ago the last good one was, its counters and its last error.

  --format text|json     text (default) or one JSON object

Exit codes: 0 all loaded, 1 something was refused, 2 usage or configuration error.
)";

constexpr std::string_view value_options[]{"--format"};

void print_json(std::string_view file, bool configured, const host::PluginSet& set,
                const std::optional<FeedReport>& feed) {
  JsonOutput json;
  json.begin_object().key("config").string(file).key("configured").boolean(configured);
  json.key("plugins").begin_array();
  for (const host::PluginInfo& plugin : set.plugins()) {
    json.begin_object().key("name").string(plugin.name).key("version").string(plugin.version);
    json.key("file").string(plugin.file.string()).key("fingerprint").string(plugin.fingerprint);
    json.key("components").begin_array();
    for (const auto& [category, name] : plugin.components)
      json.begin_object().key("category").string(to_string(category)).key("name").string(name).end_object();
    json.end_array().end_object();
  }
  json.end_array().key("refused").begin_array();
  for (const host::PluginRefusal& refusal : set.refusals())
    json.begin_object().key("file").string(refusal.file.string()).key("reason").string(refusal.reason).end_object();
  json.end_array();
  if (feed) print_feed_json(json, *feed);
  json.end_object();
  fmt::print("{}", json.str());
}

void print_text(std::string_view file, bool configured, const host::PluginSet& set,
                const std::optional<FeedReport>& feed) {
  if (!configured) {
    fmt::print("{}: no [plugins] section; only the built-in components are available\n", printable(file));
    return;
  }
  for (const host::PluginInfo& plugin : set.plugins()) {
    // Names, versions and paths come from plugin files and the config: escaped.
    fmt::print("{}\n", printable(fmt::format("{} {}  {}", plugin.name, plugin.version, plugin.file.string())));
    fmt::print("  built with {}\n", printable(plugin.fingerprint));
    for (const auto& [category, name] : plugin.components)
      fmt::print("  {} {}\n", to_string(category), printable(name));
  }
  for (const host::PluginRefusal& refusal : set.refusals())
    fmt::print("{}\n", printable(fmt::format("REFUSED {}: {}", refusal.file.string(), refusal.reason)));
  fmt::print("{} loaded, {} refused\n", set.plugins().size(), set.refusals().size());
  if (feed) print_feed_text(*feed);
}

}  // namespace

int plugins_command(std::span<const std::string_view> raw) {
  const Arguments args = parse_arguments(raw, value_options);
  if (!args.error.empty()) return usage_error("plugins", args.error, help);
  if (args.help) return show_help(help);
  if (args.positional.size() != 1) return usage_error("plugins", "expected one CONFIG file", help);
  std::string why;
  const auto format = output_format(args, why);
  if (!format) return usage_error("plugins", why, help);

  const std::string_view file = args.positional[0];
  auto config = host::load_config(std::string(file));
  if (!config) {
    print_error_lines(stderr, config.error());
    return exit_usage;
  }
  const bool configured = config->plugins.present;
  const host::PluginSet set = configured ? host::PluginSet::load(config->plugins) : host::PluginSet();
  const std::optional<FeedReport> feed = set.refusals().empty() ? feed_report(*config) : std::nullopt;
  if (*format == OutputFormat::json) print_json(file, configured, set, feed);
  else print_text(file, configured, set, feed);
  return set.refusals().empty() ? exit_ok : exit_check_failed;
}

}  // namespace recourse::cli
