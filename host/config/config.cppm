// recourse.host.config — turns a TOML file into a PolicyTable, strictly.
//
// Every bad input (syntax, unknown table or field, wrong type, bad duration, out-of-range
// value, bad key) becomes one ConfigError with file:line:col, the field path and the quoted
// value; all errors of a file are reported together. toml++ stays inside the implementation.
// Only regular files are read as configs (not directories, FIFOs or devices), up to
// max_config_bytes.
module;
#include <expected>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

export module recourse.host.config;

export import recourse.core;
export import :error;
export import :name_hints;

export namespace recourse::host {

// [executor]: what the executor does when something a call needs is missing, and how many
// distinct keys it tracks.
struct ExecutorSettings {
  MissingModes missing;
  std::size_t max_keys = 1000;
  std::size_t hedge_threads = 8;  // ExecutorOptions::hedge_threads
  std::size_t hedge_queue = 256;
  std::string default_classifier = "always";
  SourceLocation default_classifier_where;  // line 0 when not set in the file
};

// [plugins]: where shared-object plugins are found and which are loaded.
struct PluginSettings {
  bool present = false;
  std::vector<std::filesystem::path> paths;  // resolved against the config file's directory
  std::optional<std::vector<std::string>> load;  // names (librecourse-<name>.so); absent: all
  bool allow_insecure = false;  // load files/directories writable by group/others or foreign-owned
  SourceLocation where;
};

// A named component instance: [classifiers.<name>], [backoffs.<name>], [triggers.<name>],
// [observers.<name>], [budgets.<name>] or [provider], each naming the component that
// implements it (`plugin = "…"`; for a budget also the deprecated `backend = "…"`); the rest
// of the table is the component's own to validate.
struct ComponentSpec {
  ComponentCategory category;
  std::string name;
  std::string plugin;
  ConfigNode table;
};

struct Config {
  std::filesystem::path file;
  PolicyTable policies;
  ExecutorSettings executor;
  std::vector<ComponentSpec> budgets;  // [budgets.<name>], category budget
  PluginSettings plugins;
  std::vector<ComponentSpec> components;  // classifiers, backoffs and observers, in file order
  std::optional<ComponentSpec> provider;  // [provider]: policies from a provider plugin
  std::optional<ConfigNode> simulation;   // [simulation]: the dependency model `recourse simulate` reads
  std::vector<ConfigField> extra;  // the caller's extra top-level keys, as read
  // Deprecated spellings the file uses, each where it is: accepted, but worth rewriting
  // (`recourse validate` shows them as warnings, the runtime logs them).
  std::vector<ConfigError> deprecations;
};

// The largest config file read (a config is policy text, not data; anything bigger is a
// mistake such as a log or a device).
inline constexpr std::size_t max_config_bytes = 16 * 1024 * 1024;

// A file read as far as it could be: every error, and the config without the parts that were
// wrong. A tool that checks more than the file (`recourse validate`) goes on with `config` to
// find the errors later stages would report, so they all come at once. In it, a budget or
// component whose table had errors is kept with an empty `plugin`, so its name is
// still known and nothing is reported about it twice. `parsed` is false when there is no
// config at all (unreadable file, TOML syntax error).
struct ConfigReading {
  Config config;
  ConfigErrors errors;
  bool parsed = false;
};

// `overrides` are TOML assignments laid over the document, in order, before it is read
// (`executor.max_keys = 5000`, `policies."payments.*".retry.max_attempts = 2`): a value
// replaces the document's, a table merges key by key. An error in one is located at
// "override N" (override_label).
ConfigReading read_config_text(std::string_view toml_text, std::string file_label,
                               std::span<const std::string_view> extra_tables = {},
                               std::span<const std::string> overrides = {});
ConfigReading read_config_file(const std::filesystem::path& file, std::span<const std::string_view> extra_tables = {},
                               std::span<const std::string> overrides = {});
std::string override_label(std::size_t index);  // "override 1" for the first

// `file_label` names the text in messages (usually the path it was read from).
// `extra_tables` are further top-level keys the caller reads itself (a scenario's [[calls]]);
// they are skipped rather than reported as unknown.
std::expected<Config, ConfigErrors> parse_config(std::string_view toml_text, std::string file_label,
                                                 std::span<const std::string_view> extra_tables = {},
                                                 std::span<const std::string> overrides = {});

// A policy document from a control plane (PolicyFeed): [defaults] and [policies."…"] only —
// anything else (components, budgets, [plugins], [executor]) stays in the local config and is
// an error here, as is a document with neither. Every error located against `label`.
std::expected<PolicyTable, ConfigErrors> parse_policy_document(std::string_view toml_text, std::string label);

// A per-key control plane's policy for one key (KeyedPolicyFeed): the body of its
// [policies."<key>"] table — policy fields only, at least one — its errors located against
// `label` and named under policies."<key>".
std::expected<PolicyPatch, ConfigErrors> parse_policy_entry(std::string_view toml_text, std::string label,
                                                            std::string_view key);

// Reads and parses a file; an unreadable file, or one that is not a regular file or is larger
// than max_config_bytes, is a ConfigError too.
std::expected<Config, ConfigErrors> load_config(const std::filesystem::path& file,
                                                std::span<const std::string_view> extra_tables = {},
                                                std::span<const std::string> overrides = {});

// The standard plugins of this library's own installation (<prefix>/lib/recourse/plugins) or
// build tree (<build>/plugins); empty if neither exists. `${RECOURSE_PLUGIN_DIR}` in a plugin
// path means this directory unless the environment variable is set.
std::filesystem::path bundled_plugin_dir();

// The host's PolicyFileReader for plugins (PluginContext::policy_files): load_config, keeping
// the policies.
class ConfigPolicyFiles final : public PolicyFileReader {
 public:
  std::expected<PolicyTable, std::vector<ConfigError>> read(const std::filesystem::path& file) const override;
};

}  // namespace recourse::host
