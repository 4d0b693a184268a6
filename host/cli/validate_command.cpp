// `recourse validate CONFIG`: is this config safe to roll out? Prints every error at once
// (the loader's, what building the runtime finds — refused plugins, unknown components,
// component tables their plugin rejects — and the [simulation] model's; host::check_config
// runs every stage that still can), then warnings for policies that load but are risky and
// for keys that look generated. Errors exit 2; warnings alone exit 0, or 1 with --strict.
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
#include "terminal_text.hpp"

import recourse.host.simulate;
import recourse.host.analysis;
import recourse.host.config_check;

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
  inline-secret                                a token or password written in a component's table

  --format text|json             text (default) or one JSON object
  --strict                       warnings fail the check (exit 1)
  --max-keys-per-namespace N     the limit for too-many-keys-in-namespace (default 50)
  --no-plugins                   check the file alone: load no plugins, so component names
                                 and component tables are not checked

Exit codes: 0 valid, 1 warnings with --strict, 2 usage or configuration error.
)";

constexpr std::string_view value_options[]{"--format", "--max-keys-per-namespace"};
constexpr std::string_view flag_options[]{"--strict", "--no-plugins"};

// A component table holding a credential as a string: `token`, `password`, `secret`, `api_key`.
void inline_secret_warnings(const host::ComponentSpec& spec, std::vector<host::Warning>& out) {
  static constexpr std::string_view secrets[]{"token", "password", "secret", "api_key"};
  for (const ConfigField& field : spec.table.fields) {
    if (field.value.kind != ConfigNode::Kind::string || field.value.string.empty()) continue;
    if (std::ranges::find(secrets, field.name) == std::end(secrets)) continue;
    out.push_back(host::Warning{host::warning_code::inline_secret,
                                field.value.path,
                                field.where,
                                "a secret is written in the config; give it through the environment or a file "
                                "(the component's " +
                                    field.name + "_env or " + field.name + "_file, where it has them)",
                                {}});
  }
}

std::vector<host::Warning> warnings(const host::Config& config, std::size_t max_keys_per_namespace) {
  std::vector<host::Warning> risky;
  for (const host::ConfiguredPolicy& policy : host::configured_policies(config.policies))
    for (host::Warning& w : host::policy_warnings(policy, config.budgets)) risky.push_back(std::move(w));
  // A risky field in [defaults] or a namespace is one warning at its line, naming the keys.
  std::vector<host::Warning> out = host::merge_inherited(std::move(risky));
  for (host::Warning& w : host::key_cardinality_warnings(config.policies, max_keys_per_namespace))
    out.push_back(std::move(w));
  for (const ConfigError& d : config.deprecations)
    out.push_back(host::Warning{host::warning_code::deprecated_spelling, d.field_path, d.where, d.message, {}});
  if (config.provider) inline_secret_warnings(*config.provider, out);
  for (const host::ComponentSpec& spec : config.components) inline_secret_warnings(spec, out);
  for (const host::ComponentSpec& spec : config.budgets) inline_secret_warnings(spec, out);
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
    json.key("keys").begin_array().string(w.key);
    for (const std::string& k : w.also) json.string(k);
    json.end_array();
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
  // Keys, values and field names are the config's bytes: escaped for the terminal.
  for (const ConfigError& e : errors) fmt::print("{}\n", printable(to_string(e)));
  for (const host::Warning& w : found) fmt::print("{}\n", printable(host::to_string(w)));
  for (const std::string& note : notes) fmt::print("{}: note: {}\n", printable(config), printable(note));
  fmt::print("{}: {} error(s), {} warning(s)\n", printable(config), errors.size(), found.size());
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
      return usage_error("validate",
                         fmt::format("--max-keys-per-namespace needs a positive integer, got \"{}\"", *text), help);
  }

  const std::string_view file = args.positional[0];
  const bool no_plugins = args.flag("--no-plugins");
  // Every stage that can still run does, so one run shows every error (file, runtime, model).
  host::ConfigCheck check = host::check_config_file(std::string(file), !no_plugins);
  std::vector<ConfigError> errors = std::move(check.errors);
  std::vector<std::string> notes = std::move(check.notes);
  std::vector<host::Warning> found;
  const host::Config& config = check.reading.config;
  if (check.reading.parsed) {
    if (no_plugins) notes.emplace_back("--no-plugins: component names and component tables were not checked");
    // The [simulation] model, read as `recourse simulate` reads it.
    if (config.simulation) {
      if (auto spec = host::simulate::read_simulation(*config.simulation); !spec) {
        // A field the loader already refused (a date where text goes) is not reported again.
        for (ConfigError& e : spec.error().errors)
          if (std::ranges::none_of(errors, [&](const ConfigError& known) {
                return known.field_path == e.field_path && known.where.line == e.where.line &&
                       known.where.column == e.where.column;
              }))
            errors.push_back(std::move(e));
        errors = host::in_file_order(std::move(errors));
      }
    }
    if (config.provider)
      notes.emplace_back("policies come from the [provider] at run time; only this file's [policies] were checked");
    // A policy with a wrong field would be judged without it: warnings wait for a clean file.
    if (!check.file_has_errors()) found = warnings(config, max_keys);
    else notes.emplace_back("warnings are checked once the file itself has no errors");
  }
  if (*format == OutputFormat::json) print_json(file, errors, found, notes);
  else print_text(file, errors, found, notes);
  if (!errors.empty()) return exit_usage;
  return args.flag("--strict") && !found.empty() ? exit_check_failed : exit_ok;
}

}  // namespace recourse::cli
