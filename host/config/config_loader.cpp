// The top level of a recourse TOML file (see config.cppm): which tables exist, and the
// [policies] keys. Each known table is read by its own reader. Reading never stops at an
// error: what was read is kept (ConfigReading) and every error is reported.
//
// There is one path from TOML to recourse types: the document is parsed (toml++) and copied
// into a ConfigNode tree once (config_node_reader), with the location of every key and value;
// everything after that — the top level, policies, components, [simulation] — reads nodes.
module;
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <expected>
#include <optional>
#include <filesystem>
#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "field_paths.hpp"

module recourse.host.config;

import recourse.core;
import :policy_patch_reader;
import :config_node_reader;

namespace recourse::host {
namespace {

using field_paths::join_names;
using field_paths::segment;

const std::vector<std::string_view> top_level_tables{"defaults", "policies",    "executor",  "budgets",
                                                     "plugins",  "classifiers", "backoffs",  "observers",
                                                     "triggers", "provider",    "simulation"};

std::pair<std::uint32_t, std::uint32_t> position(const SourceLocation& where) { return {where.line, where.column}; }

// How messages call a node's type: "float" for a number, as TOML does.
std::string_view kind_name(const ConfigNode& node) {
  return node.kind == ConfigNode::Kind::number ? "float" : to_string(node.kind);
}

// "${NAME}" in a plugin path is the environment variable NAME (a build or deployment
// directory); an unset one is an error rather than an empty path, except RECOURSE_PLUGIN_DIR,
// which defaults to the standard plugins installed with this library (bundled_plugin_dir).
std::expected<std::string, std::string> expand_environment(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      out += text[i];
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) return std::unexpected("unterminated ${ in \"" + std::string(text) + "\"");
    const std::string name(text.substr(i + 2, close - i - 2));
    const char* value = std::getenv(name.c_str());
    if (value != nullptr) {
      out += value;
    } else if (const auto bundled = name == "RECOURSE_PLUGIN_DIR" ? bundled_plugin_dir() : std::filesystem::path();
               !bundled.empty()) {
      out += bundled.string();
    } else {
      return std::unexpected("environment variable " + name + " is not set");
    }
    i = close;
  }
  return out;
}

// "retry", "hedge", "circuit": the first segments of the policy field catalogue.
bool is_policy_section(std::string_view name) {
  for (const FieldInfo& field : policy_fields())
    if (std::string_view(field.path).substr(0, std::string_view(field.path).find('.')) == name) return true;
  return false;
}

// "catalog.GetItem" → "\"catalog.GetItem\"", always quoted (a dotted key must be).
std::string path_segment_quoted(std::string_view key) { return "\"" + std::string(key) + "\""; }

// "payments.*" → "payments"; empty when the text is not a wildcard.
std::string_view wildcard_namespace(std::string_view text) {
  return text.ends_with(".*") ? text.substr(0, text.size() - 2) : std::string_view{};
}

class ConfigReader {
 public:
  // `copied`: what copying the TOML into nodes found (dates and times where text was expected).
  ConfigReader(std::string file, std::span<const std::string_view> extra, std::vector<ConfigError> copied)
      : file_(file), extra_(extra), copied_(std::move(copied)), patches_(std::move(file), errors_, copied_) {}

  ConfigReading read(const ConfigNode& root) {
    ConfigReading reading;
    reading.parsed = true;
    Config& config = reading.config;
    for (const ConfigField& entry : root.fields) {
      const std::string_view key = entry.name;
      const ConfigNode& node = entry.value;
      const bool table = node.kind == ConfigNode::Kind::table;
      if (std::ranges::find(extra_, key) != extra_.end()) {
        config.extra.push_back(entry);
        continue;
      }
      if (std::ranges::find(top_level_tables, key) == top_level_tables.end()) {
        forget_errors_within(node);  // the whole table is refused; what is inside does not matter
        std::string message = "unknown table \"" + entry.name + "\"";
        message += did_you_mean(key, top_level_tables);
        patches_.fail(entry.where, node.path, message + "; known: " + join_names(top_level_tables));
      } else if (!table) {  // a date here was reported by the copy, which wins (read())
        patches_.fail(node.where, node.path, "expected a table, got " + std::string(kind_name(node)));
      } else if (key == "defaults") {
        config.policies.defaults = patches_.read(node);
      } else if (key == "executor") {
        read_executor(node, config.executor);
      } else if (key == "budgets") {
        read_budgets(node, config);
      } else if (key == "plugins") {
        read_plugins(node, config.plugins);
      } else if (key == "classifiers" || key == "backoffs" || key == "observers" || key == "triggers") {
        const auto category = key == "classifiers" ? ComponentCategory::classifier
                              : key == "backoffs"  ? ComponentCategory::backoff
                              : key == "triggers"  ? ComponentCategory::trigger
                                                   : ComponentCategory::observer;
        for (const ConfigField& component : node.fields)
          if (auto spec = read_component(category, component.name, component.value))
            config.components.push_back(std::move(*spec));
      } else if (key == "simulation") {
        config.simulation = node;  // recourse simulate reads it
      } else if (key == "provider") {
        config.provider = read_component(ComponentCategory::provider, "provider", node);
      } else {
        read_policies(node, config.policies);
      }
    }
    // In file order, whatever order the tables were visited in; a value the copy refused is not
    // reported again by the reader that refused it after.
    std::vector<ConfigError> all = copied_;
    for (ConfigError& e : without_places_of(std::move(errors_), copied_)) all.push_back(std::move(e));
    reading.errors.errors = in_file_order(std::move(all));
    return reading;
  }

 private:
  void keep(const ConfigError& error) { errors_.push_back(error); }

  // Drops the errors copying found in `node` or under it, for a node refused as a whole.
  void forget_errors_within(const ConfigNode& node) { forget_copy_errors_within(copied_, node); }

  template <class T>
  bool check(const ConfigResult<T>& result) {
    if (!result) keep(result.error());
    return result.has_value();
  }

  void read_executor(const ConfigNode& node, ExecutorSettings& out) {
    const ConfigView view(node);
    static constexpr std::string_view known[]{"missing_policy",     "missing_classifier", "missing_budget", "max_keys",
                                              "default_classifier", "hedge_threads",      "hedge_queue"};
    for (const ConfigError& e : view.unknown_fields(known)) keep(e);
    const auto mode = [&](std::string_view field, MissingMode& target) {
      const auto text = view.string(field);
      if (!check(text) || !*text) return;
      if (auto parsed = parse_enum<MissingMode>(**text)) target = *parsed;
      else keep(view.error(field, parsed.error()));
    };
    mode("missing_policy", out.missing.policy);
    mode("missing_classifier", out.missing.classifier);
    mode("missing_budget", out.missing.budget);
    if (const auto keys = view.integer("max_keys", 1, 1'000'000); check(keys) && *keys)
      out.max_keys = static_cast<std::size_t>(**keys);
    if (const auto threads = view.integer("hedge_threads", 1, 256); check(threads) && *threads)
      out.hedge_threads = static_cast<std::size_t>(**threads);
    if (const auto queue = view.integer("hedge_queue", 1, 1'000'000); check(queue) && *queue)
      out.hedge_queue = static_cast<std::size_t>(**queue);
    if (const auto name = view.string("default_classifier"); check(name) && *name) {
      if ((*name)->empty()) {
        keep(view.error("default_classifier", "must not be empty"));
      } else {
        out.default_classifier = **name;
        out.default_classifier_where = view.find("default_classifier")->where;
      }
    }
  }

  void read_plugins(const ConfigNode& node, PluginSettings& out) {
    const ConfigView view(node);
    static constexpr std::string_view known[]{"paths", "load", "allow_insecure"};
    for (const ConfigError& e : view.unknown_fields(known)) keep(e);
    out.present = true;
    out.where = node.where;
    const std::filesystem::path base = std::filesystem::path(file_).parent_path();
    if (const auto paths = view.strings("paths"); check(paths) && *paths) {
      for (const std::string& written : **paths) {
        auto expanded = expand_environment(written);
        if (!expanded) {
          keep(view.error("paths", expanded.error()));
          continue;
        }
        const std::filesystem::path p(*expanded);
        out.paths.push_back((p.is_absolute() ? p : base / p).lexically_normal());
      }
    }
    if (const auto load = view.strings("load"); check(load) && *load) out.load = **load;
    if (const auto insecure = view.boolean("allow_insecure"); check(insecure) && *insecure)
      out.allow_insecure = **insecure;
  }

  // A component whose table is wrong is kept with an empty plugin (see ConfigReading).
  std::optional<ComponentSpec> read_component(ComponentCategory category, std::string name, ConfigNode node) {
    if (node.kind != ConfigNode::Kind::table) {
      keep(ConfigError{node.where, node.path, "expected a table with plugin = \"<component>\""});
      return ComponentSpec{category, std::move(name), "", std::move(node)};
    }
    const auto plugin = ConfigView(node).string("plugin");
    if (!check(plugin)) return ComponentSpec{category, std::move(name), "", std::move(node)};
    if (!*plugin || (*plugin)->empty()) {
      keep(ConfigError{node.where, node.path, "needs plugin = \"<component name>\""});
      return ComponentSpec{category, std::move(name), "", std::move(node)};
    }
    return ComponentSpec{category, std::move(name), **plugin, std::move(node)};
  }

  // [budgets.<name>] tables are components like the others (`plugin = "token_bucket"`); the
  // older `backend = "…"` is still read, as a deprecated spelling of `plugin`.
  void read_budgets(const ConfigNode& budgets, Config& config) {
    for (const ConfigField& budget : budgets.fields) {
      ConfigNode table = budget.value;
      if (table.kind == ConfigNode::Kind::table) accept_backend_alias(table, config.deprecations);
      if (auto spec = read_component(ComponentCategory::budget, budget.name, std::move(table)))
        config.budgets.push_back(std::move(*spec));
    }
  }

  // `backend` → `plugin`, in place, noted as deprecated; both at once is an error.
  void accept_backend_alias(ConfigNode& table, std::vector<ConfigError>& deprecations) {
    const auto backend = std::ranges::find(table.fields, "backend", &ConfigField::name);
    if (backend == table.fields.end()) return;
    if (std::ranges::find(table.fields, "plugin", &ConfigField::name) != table.fields.end()) {
      keep(ConfigError{backend->value.where, backend->value.path,
                       "give plugin or backend, not both (backend is the deprecated spelling of plugin)"});
      table.fields.erase(backend);
      return;
    }
    backend->name = "plugin";
    // A value that is no name is an error of its own (read_component); no advice about it.
    if (backend->value.kind == ConfigNode::Kind::string)
      deprecations.push_back(ConfigError{backend->value.where, backend->value.path,
                                         "backend is deprecated; write plugin = \"" + backend->value.string + "\""});
  }

  void read_policies(const ConfigNode& policies, PolicyTable& out) {
    // Tables come in key order; duplicates are judged in file order ("first at").
    std::vector<const ConfigField*> in_file_order;
    for (const ConfigField& entry : policies.fields) in_file_order.push_back(&entry);
    std::ranges::sort(in_file_order, std::less<>{}, [](const ConfigField* entry) { return position(entry->where); });
    for (const ConfigField* entry : in_file_order) {
      const ConfigNode& node = entry->value;
      const std::string& path = node.path;
      if (node.kind != ConfigNode::Kind::table) {
        patches_.fail(node.where, path, "expected a table of policy sections, got " + std::string(kind_name(node)));
        continue;
      }
      const std::optional<ConfigNode> unnested = without_unquoted_keys(*entry);
      if (unnested && unnested->fields.empty()) continue;  // nothing but the tables just reported
      const ConfigNode& policy = unnested ? *unnested : node;
      const std::string_view text = entry->name;
      if (const std::string_view ns = wildcard_namespace(text); !ns.empty() || text == "*" || text == ".*") {
        add_wildcard(*entry, ns, policy, out);
      } else if (auto parsed = Key::parse(text)) {
        add(out.exact, parsed->str(), *entry, policy);
      } else {
        forget_errors_within(node);
        patches_.fail(entry->where, path,
                      "invalid policy key \"" + std::string(text) + "\": " + std::string(to_string(parsed.error())));
      }
    }
  }

  // [policies.catalog.GetItem] without quotes is TOML for a table "GetItem" inside a policy
  // "catalog". No policy section has such a name, so each table that is not a section is
  // reported with the quoted key to write instead; the result is the body without them
  // (nullopt when there were none).
  std::optional<ConfigNode> without_unquoted_keys(const ConfigField& policy) {
    const ConfigNode& body = policy.value;
    std::optional<ConfigNode> kept;
    for (const ConfigField& sub : body.fields) {
      if (sub.value.kind != ConfigNode::Kind::table || is_policy_section(sub.name)) continue;
      if (!kept) kept = body;
      forget_errors_within(sub.value);
      std::erase_if(kept->fields, [&](const ConfigField& f) { return f.name == sub.name; });
      std::string dotted = policy.name + "." + sub.name;
      std::string written = sub.value.path;
      // Deeper nesting ([policies.a.b.c]) names the whole key.
      for (const ConfigNode* inner = &sub.value; inner->fields.size() == 1;) {
        const ConfigField& next = inner->fields.front();
        if (next.value.kind != ConfigNode::Kind::table || is_policy_section(next.name)) break;
        dotted += "." + next.name;
        written += "." + segment(next.name);
        inner = &next.value;
      }
      patches_.fail(sub.where, sub.value.path,
                    "TOML reads the unquoted [" + written + "] as tables nested in a policy \"" + policy.name +
                        "\"; a policy key holding a dot must be quoted: [policies." + path_segment_quoted(dotted) +
                        "]");
    }
    return kept;
  }

  void add_wildcard(const ConfigField& entry, std::string_view ns, const ConfigNode& body, PolicyTable& out) {
    // A key that cannot be a layer refuses its whole body: what is inside is not read.
    const auto refuse = [&](std::string message) {
      forget_errors_within(entry.value);
      patches_.fail(entry.where, entry.value.path, std::move(message));
    };
    if (ns.empty()) return refuse("a wildcard needs a namespace (\"payments.*\"); use [defaults] for every key");
    auto parsed = Key::parse(ns);
    if (!parsed)
      return refuse("invalid namespace \"" + std::string(ns) + "\": " + std::string(to_string(parsed.error())));
    if (!parsed->ns().empty() || parsed->str().find('.') != std::string::npos)
      return refuse("a namespace ends at the first dot, so \"" + entry.name + "\" can never match; write \"" +
                    std::string(parsed->str().substr(0, parsed->str().find('.'))) + ".*\"");
    add(out.namespaces, parsed->str(), entry, body);
  }

  void add(std::map<std::string, PolicyPatch, std::less<>>& layer, const std::string& canonical,
           const ConfigField& entry, const ConfigNode& body) {
    auto [it, inserted] = layer.try_emplace(canonical);
    if (!inserted) {
      forget_errors_within(entry.value);
      patches_.fail(entry.where, entry.value.path,
                    "duplicate policy for \"" + canonical + "\" (first at " + to_string(it->second.where) + ")");
      return;
    }
    it->second = patches_.read(body);
  }

  std::string file_;
  std::span<const std::string_view> extra_;
  std::vector<ConfigError> copied_;  // from the copy into nodes (config_node_reader)
  std::vector<ConfigError> errors_;  // from reading the nodes
  PolicyPatchReader patches_;
};

}  // namespace

namespace {

// An override's values replace the file's; tables merge key by key, so
// `policies."payments.*".retry.max_attempts = 2` changes that one field and keeps the rest of
// the policy. Nodes are moved, not copied (a toml++ copy drops its source), so they keep
// their source ("override N") and an error names the override.
void merge_into(toml::table& into, toml::table&& from) {
  for (auto&& [key, value] : from) {
    toml::node* existing = into.get(key.str());
    if (existing != nullptr && existing->is_table() && value.is_table()) {
      merge_into(*existing->as_table(), std::move(*value.as_table()));
      continue;
    }
    into.insert_or_assign(key, std::move(value));
  }
}

ConfigError syntax_error(const toml::parse_error& e, const std::string& label) {
  const auto& begin = e.source().begin;
  return ConfigError{SourceLocation{label, begin.line, begin.column}, "",
                     "TOML syntax error: " + std::string(e.description())};
}

}  // namespace

std::string override_label(std::size_t index) { return "override " + std::to_string(index + 1); }

ConfigReading read_config_text(std::string_view toml_text, std::string file_label,
                               std::span<const std::string_view> extra_tables, std::span<const std::string> overrides) {
  toml::table root;
  ConfigReading refused;
  try {
    root = toml::parse(toml_text, file_label);
  } catch (const toml::parse_error& e) {
    refused.errors.errors.push_back(syntax_error(e, file_label));
    return refused;
  }
  for (std::size_t i = 0; i < overrides.size(); ++i) {
    const std::string label = override_label(i);
    try {
      merge_into(root, toml::parse(overrides[i], label));
    } catch (const toml::parse_error& e) {
      refused.errors.errors.push_back(syntax_error(e, label));
    }
  }
  if (!refused.errors.errors.empty()) return refused;
  std::vector<ConfigError> copying;
  const ConfigNode document = to_config_node(root, "", file_label, copying);
  return ConfigReader(std::move(file_label), extra_tables, std::move(copying)).read(document);
}

std::expected<Config, ConfigErrors> parse_config(std::string_view toml_text, std::string file_label,
                                                 std::span<const std::string_view> extra_tables,
                                                 std::span<const std::string> overrides) {
  ConfigReading reading = read_config_text(toml_text, std::move(file_label), extra_tables, overrides);
  if (!reading.errors.errors.empty()) return std::unexpected(std::move(reading.errors));
  return std::move(reading.config);
}

namespace {

// A control plane's text as TOML, or its syntax error (located against `label`).
std::expected<toml::table, ConfigErrors> parse_toml(std::string_view toml_text, const std::string& label) {
  try {
    return toml::parse(toml_text, label);
  } catch (const toml::parse_error& e) {
    return std::unexpected(ConfigErrors{{syntax_error(e, label)}});
  }
}

}  // namespace

std::expected<PolicyTable, ConfigErrors> parse_policy_document(std::string_view toml_text, std::string label) {
  auto parsed = parse_toml(toml_text, label);
  if (!parsed) return std::unexpected(std::move(parsed.error()));
  const toml::table root = std::move(*parsed);
  ConfigErrors errors;
  std::vector<ConfigError> copying;
  const ConfigNode document = to_config_node(root, "", label, copying);
  bool has_policies = false;
  for (const ConfigField& entry : document.fields) {
    if (entry.name == "defaults" || entry.name == "policies") {
      has_policies = true;
      continue;
    }
    errors.errors.push_back(ConfigError{entry.where, entry.value.path,
                                        "a policy document holds [defaults] and [policies.\"…\"] only; components, "
                                        "budgets, [plugins] and [executor] stay in the local config"});
  }
  if (!has_policies && errors.errors.empty())
    errors.errors.push_back(
        ConfigError{SourceLocation{label, 1, 1}, "", "an empty policy document: no [defaults], no [policies.\"…\"]"});
  ConfigReading reading = ConfigReader(label, {}, std::move(copying)).read(document);
  for (ConfigError& e : reading.errors.errors) errors.errors.push_back(std::move(e));
  if (!errors.errors.empty()) return std::unexpected(ConfigErrors{in_file_order(std::move(errors.errors))});
  reading.config.policies.source = PolicySource::remote;
  return std::move(reading.config.policies);
}

}  // namespace recourse::host

namespace recourse::host {

std::expected<PolicyPatch, ConfigErrors> parse_policy_entry(std::string_view toml_text, std::string label,
                                                            std::string_view key) {
  auto parsed = parse_toml(toml_text, label);
  if (!parsed) return std::unexpected(std::move(parsed.error()));
  const toml::table root = std::move(*parsed);
  ConfigErrors errors;
  // Named as the table it stands for, so its errors read like the local file's.
  const std::string path = "policies." + path_segment_quoted(key);
  std::vector<ConfigError> copying;
  const ConfigNode body = to_config_node(root, path, label, copying);
  if (body.fields.empty()) {
    errors.errors.push_back(ConfigError{SourceLocation{label, 1, 1}, path,
                                        "an empty policy entry: a key the control plane has no policy for is a 404"});
    return std::unexpected(std::move(errors));
  }
  PolicyPatchReader reader(label, errors.errors, copying);
  PolicyPatch patch = reader.read(body);
  patch.where = SourceLocation{label, 1, 1};
  if (patch.entries.empty() && errors.errors.empty() && copying.empty())
    errors.errors.push_back(ConfigError{SourceLocation{label, 1, 1}, path,
                                        "a policy entry without a field: a key the control plane has no policy for "
                                        "is a 404"});
  for (ConfigError& e : copying) errors.errors.push_back(std::move(e));
  if (!errors.errors.empty()) return std::unexpected(ConfigErrors{in_file_order(std::move(errors.errors))});
  return patch;
}

}  // namespace recourse::host
