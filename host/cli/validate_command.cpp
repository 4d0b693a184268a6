// `recourse validate CONFIG`: is this config safe to roll out? Prints every error at once
// (the loader's, then what building the runtime finds: refused plugins, unknown components,
// component tables their plugin rejects), then warnings for policies that load but are risky
// and for keys that look generated. Errors exit 2; warnings alone exit 0, or 1 with --strict.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "arguments.hpp"
#include "commands.hpp"
#include "json_output.hpp"

import recourse.host.simulate;
import recourse.host.analysis;
import recourse.host.runtime;

namespace recourse::cli {
namespace {

constexpr std::string_view help = R"(usage: recourse validate CONFIG [--format text|json] [--strict]
                         [--max-keys-per-namespace N] [--no-plugins]

Checks CONFIG the way the runtime would load it and prints every error at once, each with
file:line:col, then warnings (see docs/cli.md for the codes):
  retry-without-budget, hedge-without-budget   retries or hedges no budget limits
  attempt-timeouts-exceed-overall              max_attempts x per-attempt timeout > overall
  retry-after-cap-exceeds-overall              retry.max_retry_after > overall timeout
  high-cardinality-key                         a key holding a long digit run, UUID or hex id
  too-many-keys-in-namespace                   more than N exact keys in one namespace

  --format text|json             text (default) or one JSON object
  --strict                       warnings fail the check (exit 1)
  --max-keys-per-namespace N     the limit for too-many-keys-in-namespace (default 50)
  --no-plugins                   check the file alone: load no plugins, so component names
                                 and component tables are not checked

Exit codes: 0 valid, 1 warnings with --strict, 2 usage or configuration error.
)";

constexpr std::string_view value_options[]{"--format", "--max-keys-per-namespace"};
constexpr std::string_view flag_options[]{"--strict", "--no-plugins"};

// Sorted by line and column, keeping the runtime's order among errors at one place (every
// refused plugin is reported at the [plugins] header). Not stable_sort: here it instantiates
// libstdc++ 12's get_temporary_buffer, which clang 19 warns is deprecated.
std::vector<ConfigError> in_file_order(std::vector<ConfigError> errors) {
  std::vector<std::size_t> order(errors.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::ranges::sort(order, std::less<>{}, [&](std::size_t i) {
    return std::tuple(errors[i].where.line, errors[i].where.column, i);
  });
  std::vector<ConfigError> sorted;
  for (std::size_t i : order) sorted.push_back(std::move(errors[i]));
  return sorted;
}

// What building the runtime finds. Observers and the provider are not created — an observer
// opens (and a trace observer truncates) its output file — only looked up.
std::vector<ConfigError> runtime_errors(const host::Config& config) {
  host::Config checked = config;
  std::erase_if(checked.components,
                [](const host::ComponentSpec& spec) { return spec.category == ComponentCategory::observer; });
  checked.provider.reset();
  host::RuntimeOptions options;
  options.logger = host::make_spdlog_logger("recourse-validate");
  auto runtime = host::build_runtime(checked, std::move(options));
  std::vector<ConfigError> errors;
  if (!runtime) errors = std::move(runtime.error().errors);

  const auto look_up = [&](const host::ComponentSpec& spec, const host::PluginSet& plugins) {
    if (plugins.provides(spec.category, spec.plugin)) return;
    std::string known;
    for (const std::string& name : plugins.names(spec.category)) known.append(known.empty() ? "" : ", ").append(name);
    errors.push_back(ConfigView(spec.table).error(
        "plugin", fmt::format("no {} named \"{}\"; known: {}", to_string(spec.category), spec.plugin,
                              known.empty() ? "none loaded" : known)));
  };
  const bool needs_lookup = config.provider || std::ranges::any_of(config.components, [](const auto& spec) {
                              return spec.category == ComponentCategory::observer;
                            });
  if (needs_lookup) {
    const host::PluginSet plugins = config.plugins.present ? host::PluginSet::load(config.plugins) : host::PluginSet();
    for (const host::ComponentSpec& spec : config.components)
      if (spec.category == ComponentCategory::observer) look_up(spec, plugins);
    if (config.provider) look_up(*config.provider, plugins);
  }
  return in_file_order(std::move(errors));
}

std::vector<host::Warning> warnings(const host::Config& config, std::size_t max_keys_per_namespace) {
  std::vector<host::Warning> out;
  for (const host::ConfiguredPolicy& policy : host::configured_policies(config.policies))
    for (host::Warning& w : host::policy_warnings(policy, config.budgets)) out.push_back(std::move(w));
  for (host::Warning& w : host::key_cardinality_warnings(config.policies, max_keys_per_namespace))
    out.push_back(std::move(w));
  return out;
}

void location(JsonOutput& json, const SourceLocation& where, std::string_view config) {
  json.key("file").string(where.file.empty() ? config : std::string_view(where.file));
  if (where.line != 0) json.key("line").integer(where.line).key("column").integer(where.column);
  else json.key("line").null().key("column").null();
}

void print_json(std::string_view config, const std::vector<ConfigError>& errors,
                const std::vector<host::Warning>& found, const std::vector<std::string>& notes) {
  JsonOutput json;
  json.begin_object().key("config").string(config);
  json.key("errors").begin_array();
  for (const ConfigError& e : errors) {
    json.begin_object();
    location(json, e.where, config);
    json.key("path").string(e.field_path).key("message").string(e.message).end_object();
  }
  json.end_array().key("warnings").begin_array();
  for (const host::Warning& w : found) {
    json.begin_object().key("code").string(w.code).key("key").string(w.key);
    location(json, w.where, config);
    json.key("message").string(w.message).end_object();
  }
  json.end_array().key("notes").begin_array();
  for (const std::string& note : notes) json.string(note);
  json.end_array().end_object();
  fmt::print("{}", json.str());
}

void print_text(std::string_view config, const std::vector<ConfigError>& errors,
                const std::vector<host::Warning>& found, const std::vector<std::string>& notes) {
  for (const ConfigError& e : errors) fmt::print("{}\n", to_string(e));
  for (const host::Warning& w : found) fmt::print("{}\n", host::to_string(w));
  for (const std::string& note : notes) fmt::print("{}: note: {}\n", config, note);
  fmt::print("{}: {} error(s), {} warning(s)\n", config, errors.size(), found.size());
}

}  // namespace

int validate_command(std::span<const std::string_view> raw) {
  const Arguments args = parse_arguments(raw, value_options, flag_options);
  if (!args.error.empty()) return usage_error("validate", args.error, help);
  if (args.help) return show_help(help);
  if (args.positional.size() != 1) return usage_error("validate", "expected one CONFIG file", help);
  std::string why;
  const auto format = output_format(args, why);
  if (!format) return usage_error("validate", why, help);
  std::size_t max_keys = host::default_max_keys_per_namespace;
  if (const auto text = args.value("--max-keys-per-namespace")) {
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), max_keys);
    if (ec != std::errc{} || end != text->data() + text->size() || max_keys == 0)
      return usage_error("validate", fmt::format("--max-keys-per-namespace needs a positive integer, got \"{}\"", *text),
                         help);
  }

  const std::string_view file = args.positional[0];
  std::vector<ConfigError> errors;
  std::vector<host::Warning> found;
  std::vector<std::string> notes;
  auto config = host::load_config(std::string(file));
  if (!config) {
    errors = std::move(config.error().errors);
  } else {
    if (!args.flag("--no-plugins")) errors = runtime_errors(*config);
    else notes.emplace_back("--no-plugins: component names and component tables were not checked");
    // The [simulation] model, read as `recourse simulate` reads it.
    if (config->simulation) {
      if (auto spec = host::simulate::read_simulation(*config->simulation); !spec) {
        for (ConfigError& e : spec.error().errors) errors.push_back(std::move(e));
        errors = in_file_order(std::move(errors));
      }
    }
    if (config->provider)
      notes.emplace_back("policies come from the [provider] at run time; only this file's [policies] were checked");
    found = warnings(*config, max_keys);
  }
  if (*format == OutputFormat::json) print_json(file, errors, found, notes);
  else print_text(file, errors, found, notes);
  if (!errors.empty()) return exit_usage;
  return args.flag("--strict") && !found.empty() ? exit_check_failed : exit_ok;
}

}  // namespace recourse::cli
