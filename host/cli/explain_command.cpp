// `recourse explain CONFIG [KEY]`: what policy each key gets, field by field, and why.
//
// For each exact key, each namespace wildcard and "any other key" (or KEY alone), prints the
// merged, normalized policy: value, the layer that set it (built-in, defaults, payments.*, the
// key) and the config line, every clamp normalization applied, which plugin (or built-in)
// serves each component the policy names, and the worst case one call can cost. Errors are
// found as `recourse validate` finds them (host::check_config): errors in the file exit 2
// with no explanation; errors only the runtime finds (a budget or component that cannot be
// built, a name nothing provides) are printed after the explanation and exit 2 too.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "arguments.hpp"
#include "commands.hpp"
#include "json_output.hpp"
#include "terminal_text.hpp"

import recourse.host.analysis;
import recourse.host.config_check;
import recourse.host.runtime;

#include "feed_report.hpp"

namespace recourse::cli {
namespace {

constexpr std::string_view help = R"(usage: recourse explain CONFIG [KEY] [--format text|json]

Prints the effective, normalized policy of every key in CONFIG (exact keys, then namespace
wildcards, then any other key), or of KEY alone: each field with the layer and line it came
from and every clamp normalization applied; which plugin (or built-in) serves the classifier,
the backoff and each budget; and the worst case of one call (attempts, total time, load on the
dependency). Errors are the ones `recourse validate` reports: errors in the file are printed
alone; errors only building the runtime finds (a refused plugin, a budget or component that
cannot be built, a name nothing provides) are printed after the explanation.

  --format text|json     text (default) or one JSON object

Exit codes: 0 ok, 2 usage or configuration error.
)";

constexpr std::string_view value_options[]{"--format"};

// What explain shows for one policy.
struct Explained {
  std::string title;
  host::ConfiguredPolicy configured;
  std::vector<host::ComponentSource> components;
  host::WorstCase worst;
};

Explained explain(std::string title, host::ConfiguredPolicy configured, const host::Config& config,
                  const host::PluginSet& plugins) {
  Explained out{std::move(title), std::move(configured), {}, {}};
  const Policy& policy = out.configured.resolved.policy;
  host::ComponentCatalogue catalogue;
  catalogue.add_plugins(plugins);
  out.components = host::component_sources(policy, config, catalogue);
  out.worst = host::worst_case(policy);
  return out;
}

// Fields of a disabled hedge or circuit section do nothing; listing them would bury the
// fields that matter.
bool shown(std::string_view path, const Policy& policy) {
  if (path.starts_with("hedge.") && path != "hedge.enabled") return policy.hedge.enabled;
  if (path.starts_with("circuit.") && path != "circuit.enabled") return policy.circuit.enabled;
  return true;
}

const FieldChange* clamp_of(const Policy& policy, std::string_view path) {
  for (const FieldChange& change : policy.normalized)
    if (change.path == path) return &change;
  return nullptr;
}

std::string layers_text(const ResolvedPolicy& resolved) {
  std::string text;
  for (PolicyLayer layer : resolved.layers) text.append(text.empty() ? "" : " < ").append(to_string(layer));
  return text.empty() ? "built-in only" : text;
}

void print_plugins_text(const host::Config& config, const host::PluginSet& plugins) {
  if (!config.plugins.present) {
    fmt::print("plugins: no [plugins] section; built-in components only\n\n");
    return;
  }
  fmt::print("plugins: {} loaded, {} refused\n", plugins.plugins().size(), plugins.refusals().size());
  for (const host::PluginRefusal& refusal : plugins.refusals())
    line("  REFUSED {}: {}", refusal.file.string(), refusal.reason);
  fmt::print("\n");
}

void print_text(const Explained& e) {
  const ResolvedPolicy& resolved = e.configured.resolved;
  const Policy& policy = resolved.policy;
  line("{}", e.title);
  line("  policy {} (source {}; layers: {}; {} field(s) clamped)", policy.id, to_string(policy.source),
       layers_text(resolved), policy.normalized.size());
  const auto fields = policy_fields();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (!shown(fields[i].path, policy)) continue;
    const FieldOrigin& origin = resolved.origins[i];
    std::string from = origin.layer_name;
    if (origin.where.line != 0) from += "  " + to_string(origin.where);
    if (const FieldChange* change = clamp_of(policy, fields[i].path)) from += "  (clamped from " + change->before + ")";
    line("  {:<34} {:<20} {}", fields[i].path, format_field_value(fields[i].get(policy)), from);
  }
  fmt::print("  components\n");
  for (const host::ComponentSource& c : e.components) {
    const std::string served = c.kind == host::ComponentSource::Kind::plugin    ? "plugin " + c.plugin
                               : c.kind == host::ComponentSource::Kind::builtin ? std::string("built-in")
                                                                                : std::string("MISSING");
    line("    {:<14} {:<20} {}{}", c.role, c.name, served, c.detail.empty() ? "" : " (" + c.detail + ")");
  }
  const host::WorstCaseText worst = host::describe(e.worst, policy);
  fmt::print("  worst case per call\n");
  line("    {:<20} {}", "attempts", worst.attempts);
  line("    {:<20} {}", "total time", worst.total_time);
  line("    {:<20} {}", "load amplification", worst.amplification);
  fmt::print("\n");
}

// --- JSON ---

void value_json(JsonOutput& json, const FieldValue& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) json.boolean(v);
        else if constexpr (std::is_same_v<T, int>) json.integer(v);
        else if constexpr (std::is_same_v<T, double>) json.number(v);
        else if constexpr (std::is_same_v<T, Duration>) json.string(format_duration(v));
        else if constexpr (std::is_same_v<T, std::string>) json.string(v);
        else json.string(to_string(v));
      },
      value);
}

void optional_duration(JsonOutput& json, std::string_view key, const std::optional<Duration>& d) {
  json.key(key);
  if (d) json.string(format_duration(*d));
  else json.null();
}

void where_json(JsonOutput& json, const SourceLocation& where) {
  if (where.line == 0) {
    json.key("file").null().key("line").null().key("column").null();
    return;
  }
  json.key("file").string(where.file).key("line").integer(where.line).key("column").integer(where.column);
}

std::string_view bound_name(host::TimeBound bound) {
  switch (bound) {
    case host::TimeBound::overall_timeout: return "overall_timeout";
    case host::TimeBound::attempts_and_waits: return "attempts_and_waits";
    case host::TimeBound::unbounded: return "unbounded";
  }
  return "invalid";
}

void worst_json(JsonOutput& json, const host::WorstCase& w, const Policy& policy) {
  const host::WorstCaseText text = host::describe(w, policy);
  json.key("worst_case").begin_object();
  json.key("max_attempts").integer(w.attempts);
  json.key("attempt_groups").integer(w.attempt_groups);
  json.key("hedges_per_group").integer(w.hedges_per_group);
  optional_duration(json, "max_total_time", w.total_time);
  json.key("time_bound").string(bound_name(w.bound));
  optional_duration(json, "attempts_time", w.attempts_time);
  optional_duration(json, "waits_time", w.waits_time);
  optional_duration(json, "attempts_and_waits", w.attempts_and_waits);
  json.key("dominant");
  if (w.attempts_time) json.string(*w.waits_time > *w.attempts_time ? "waits" : "attempts");
  else json.null();
  json.key("wait_cap").string(w.waits_from_retry_after ? "retry.max_retry_after" : "retry.max_backoff");
  json.key("max_load_amplification").integer(w.amplification);
  json.key("text").begin_object();
  json.key("attempts").string(text.attempts).key("total_time").string(text.total_time);
  json.key("amplification").string(text.amplification).end_object();
  json.end_object();
}

void policy_json(JsonOutput& json, const Explained& e) {
  const ResolvedPolicy& resolved = e.configured.resolved;
  const Policy& policy = resolved.policy;
  json.begin_object();
  json.key("key").string(e.configured.key).key("policy_id").string(policy.id);
  json.key("source").string(to_string(policy.source));
  json.key("layers").begin_array();
  for (PolicyLayer layer : resolved.layers) json.string(to_string(layer));
  json.end_array();
  json.key("fields").begin_array();
  const auto fields = policy_fields();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const FieldOrigin& origin = resolved.origins[i];
    json.begin_object().key("path").string(fields[i].path);
    json.key("value");
    value_json(json, fields[i].get(policy));
    json.key("origin").begin_object().key("layer").string(origin.layer_name);
    where_json(json, origin.where);
    json.end_object();
    json.key("clamped_from");
    if (const FieldChange* change = clamp_of(policy, fields[i].path)) json.string(change->before);
    else json.null();
    json.end_object();
  }
  json.end_array();
  json.key("components").begin_array();
  for (const host::ComponentSource& c : e.components) {
    json.begin_object().key("role").string(c.role).key("name").string(c.name);
    json.key("provider").string(to_string(c.kind));
    json.key("plugin");
    if (c.kind == host::ComponentSource::Kind::plugin) json.string(c.plugin);
    else json.null();
    json.key("file");
    if (c.kind == host::ComponentSource::Kind::plugin) json.string(c.file);
    else json.null();
    json.key("detail").string(c.detail).end_object();
  }
  json.end_array();
  worst_json(json, e.worst, policy);
  json.end_object();
}

void print_json(std::string_view file, const host::Config& config, const host::PluginSet& plugins,
                const std::optional<FeedReport>& feed, const std::vector<Explained>& explained,
                const std::vector<ConfigError>& errors) {
  JsonOutput json;
  json.begin_object().key("config").string(file);
  json.key("plugins").begin_object().key("configured").boolean(config.plugins.present);
  json.key("loaded").begin_array();
  for (const host::PluginInfo& p : plugins.plugins())
    json.begin_object()
        .key("name")
        .string(p.name)
        .key("version")
        .string(p.version)
        .key("file")
        .string(p.file.string())
        .end_object();
  json.end_array().key("refused").begin_array();
  for (const host::PluginRefusal& r : plugins.refusals())
    json.begin_object().key("file").string(r.file.string()).key("reason").string(r.reason).end_object();
  json.end_array().end_object();
  if (feed) print_feed_json(json, *feed);
  json.key("keys").begin_array();
  for (const Explained& e : explained) policy_json(json, e);
  json.end_array();
  json.key("errors").begin_array();
  for (const ConfigError& e : errors) {
    json.begin_object();
    where_json(json, e.where);
    json.key("path").string(e.field_path).key("message").string(e.message).end_object();
  }
  json.end_array().end_object();
  fmt::print("{}", json.str());
}

}  // namespace

int explain_command(std::span<const std::string_view> raw) {
  const Arguments args = parse_arguments(raw, value_options);
  if (!args.error.empty()) return usage_error("explain", args.error, help);
  if (args.help) return show_help(help);
  if (args.positional.empty() || args.positional.size() > 2)
    return usage_error("explain", "expected CONFIG and at most one KEY", help);
  std::string why;
  const auto format = output_format(args, why);
  if (!format) return usage_error("explain", why, help);

  const std::string_view file = args.positional[0];
  const host::ConfigCheck check = host::check_config_file(std::string(file), true);
  const auto print_errors = [&] {
    for (const ConfigError& e : check.errors) fmt::print(stderr, "{}\n", printable(to_string(e)));
  };
  // A policy with a wrong field would be explained without it: nothing is explained.
  if (!check.reading.parsed || check.file_has_errors()) {
    print_errors();
    return exit_usage;
  }
  const host::Config* config = &check.reading.config;
  const host::PluginSet plugins = config->plugins.present ? host::PluginSet::load(config->plugins) : host::PluginSet();
  // With a feed, the keys get the document in force, not the file's policies.
  std::optional<Key> asked;
  if (args.positional.size() == 2)
    if (auto key = Key::parse(args.positional[1])) asked = *key;
  const std::optional<FeedReport> feed = check.errors.empty() ? feed_report(*config, asked) : std::nullopt;
  const PolicyTable& policies = feed && feed->document ? feed->document->policies : config->policies;

  std::vector<Explained> explained;
  if (args.positional.size() == 2) {
    auto key = Key::parse(args.positional[1]);
    if (!key) {
      fmt::print(stderr, "recourse explain: invalid key \"{}\": {}\n", printable(args.positional[1]),
                 to_string(key.error()));
      return exit_usage;
    }
    explained.push_back(explain(key->str(), host::configured_policy(policies, *key), *config, plugins));
  } else {
    for (host::ConfiguredPolicy& p : host::configured_policies(policies)) {
      std::string title = p.key;
      if (title == "*") title = "* (any other key)";
      else if (title.ends_with(".*"))
        title += fmt::format(" (any other key in namespace {})", title.substr(0, title.size() - 2));
      explained.push_back(explain(std::move(title), std::move(p), *config, plugins));
    }
  }

  const int code = check.errors.empty() ? exit_ok : exit_usage;
  if (*format == OutputFormat::json) {
    print_json(file, *config, plugins, feed, explained, check.errors);
    return code;
  }
  if (args.positional.size() == 1) {
    line("# {}", file);
    fmt::print("\n");
  }
  print_plugins_text(*config, plugins);
  if (feed) {
    print_feed_text(*feed);
    if (feed->per_key)
      line("policies: {}", feed->document ? "the file's, with the control plane's answer for the key"
                                          : std::string("the file's own (no answer for the key)"));
    else
      line("policies: {}", feed->document ? "from the document " + feed->document->label
                                          : std::string("the file's own (no document in force)"));
    fmt::print("\n");
  }
  for (const Explained& e : explained) print_text(e);
  std::fflush(stdout);  // the explanation, then what is wrong with it
  print_errors();
  return code;
}

}  // namespace recourse::cli
