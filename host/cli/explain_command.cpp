// `recourse explain CONFIG [KEY]`: what policy each key gets, field by field, and why.
//
// For each exact key, each namespace wildcard and "any other key", prints the merged,
// normalized policy: value, the layer that set it (built-in, defaults, payments.*, the key)
// and the config line, then every clamp normalization applied.
#include <fmt/format.h>

#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"

import recourse.host.config;

namespace recourse::cli {
namespace {

constexpr std::string_view help = R"(usage: recourse explain CONFIG [KEY]

Prints the effective, normalized policy of every key in CONFIG (exact keys, then namespace
wildcards, then any other key), or of KEY alone, with the layer and line each field came from
and every clamp normalization applied.
)";

// Fields of a disabled hedge or circuit section do nothing; listing them would bury the
// fields that matter.
bool shown(std::string_view path, const Policy& policy) {
  if (path.starts_with("hedge.") && path != "hedge.enabled") return policy.hedge.enabled;
  if (path.starts_with("circuit.") && path != "circuit.enabled") return policy.circuit.enabled;
  return true;
}

std::string layers_text(const ResolvedPolicy& resolved) {
  std::string text;
  for (PolicyLayer layer : resolved.layers) text.append(text.empty() ? "" : " < ").append(to_string(layer));
  return text.empty() ? "built-in only" : text;
}

void print_policy(std::string_view title, const ResolvedPolicy& resolved) {
  const Policy& policy = resolved.policy;
  fmt::print("{}\n  policy {} (source {}; layers: {}; {} field(s) clamped)\n", title, policy.id,
             to_string(policy.source), layers_text(resolved), policy.normalized.size());
  const auto fields = policy_fields();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (!shown(fields[i].path, policy)) continue;
    const FieldOrigin& origin = resolved.origins[i];
    std::string from = origin.layer_name;
    if (origin.where.line != 0) from += "  " + to_string(origin.where);
    for (const FieldChange& change : policy.normalized)
      if (change.path == fields[i].path) from += "  (clamped from " + change.before + ")";
    fmt::print("  {:<34} {:<20} {}\n", fields[i].path, format_field_value(fields[i].get(policy)), from);
  }
  fmt::print("\n");
}

}  // namespace

int explain_command(std::span<const std::string_view> args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    fmt::print("{}", help);
    return exit_ok;
  }
  if (args.empty() || args.size() > 2) {
    fmt::print(stderr, "{}", help);
    return exit_usage;
  }
  auto config = host::load_config(std::string(args[0]));
  if (!config) {
    fmt::print(stderr, "{}", host::to_string(config.error()));
    return exit_usage;
  }
  const PolicyTable& table = config->policies;

  if (args.size() == 2) {
    auto key = Key::parse(args[1]);
    if (!key) {
      fmt::print(stderr, "recourse explain: invalid key \"{}\": {}\n", args[1], to_string(key.error()));
      return exit_usage;
    }
    print_policy(key->str(), resolve(table, *key));
    return exit_ok;
  }

  fmt::print("# {}\n\n", args[0]);
  for (const auto& [text, patch] : table.exact) print_policy(text, resolve(table, *Key::parse(text)));
  for (const auto& [ns, patch] : table.namespaces)
    print_policy(fmt::format("{}.* (any other key in namespace {})", ns, ns), resolve(table, *Key::parse(ns + ".*")));
  // "*" can be no configured key: the loader refuses it, so this resolves to defaults.
  print_policy("* (any other key)", resolve(table, *Key::parse("*")));
  return exit_ok;
}

}  // namespace recourse::cli
