// recourse.plugin:config_view — a component's configuration, as the component sees it: a
// recourse-owned, read-only copy of its TOML table (no toml++ type crosses into a plugin),
// with typed getters that report the field path and file:line:col of whatever is wrong.
module;
#include "recourse/export.h"

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

export module recourse.plugin:config_view;

import recourse.policy;

export namespace recourse {

// One configuration problem: where, which field, what is wrong.
struct ConfigError {
  SourceLocation where;
  std::string field_path;  // as written in TOML: policies."payments.Charge".retry.jitter
  std::string message;
};

// "file:line:col: field.path: message"
RECOURSE_API std::string to_string(const ConfigError& error);

struct ConfigField;

struct ConfigNode {
  enum class Kind : std::uint8_t { boolean, integer, number, string, array, table };
  Kind kind = Kind::table;
  bool boolean = false;
  std::int64_t integer = 0;
  double number = 0;
  std::string string;
  std::vector<ConfigNode> items;                            // array elements
  std::vector<ConfigField> fields;  // table entries, in file order
  SourceLocation where;
  std::string path;  // "budgets.retry.allow"
};

struct ConfigField {
  std::string name;
  ConfigNode value;
  SourceLocation where;  // of the key (value.where is the value's)
};

RECOURSE_API std::string_view to_string(ConfigNode::Kind kind) noexcept;

// A value as TOML writes it, for messages: 3, 2.5, 2.0, true, "text"; {...} and [...] for a
// table and an array. And with its type, as messages say what they got: `string "text"`,
// `float 2.5`, `table {...}`. Every reader of config values words its errors with these.
RECOURSE_API std::string value_text(const ConfigNode& node);
RECOURSE_API std::string describe_value(const ConfigNode& node);

template <class T>
using ConfigResult = std::expected<T, ConfigError>;

// Getters return nullopt for an absent key and a ConfigError for a present but wrong one.
class RECOURSE_API ConfigView {
 public:
  explicit ConfigView(const ConfigNode& table) noexcept;

  const ConfigNode* find(std::string_view key) const noexcept;
  const SourceLocation& where() const noexcept;
  const std::string& path() const noexcept;

  ConfigResult<std::optional<bool>> boolean(std::string_view key) const;
  ConfigResult<std::optional<std::int64_t>> integer(std::string_view key, std::int64_t min, std::int64_t max) const;
  ConfigResult<std::optional<double>> number(std::string_view key, double min, double max) const;
  ConfigResult<std::optional<std::string>> string(std::string_view key) const;
  ConfigResult<std::optional<Duration>> duration(std::string_view key) const;
  ConfigResult<std::optional<std::vector<bool>>> booleans(std::string_view key) const;
  ConfigResult<std::optional<std::vector<std::string>>> strings(std::string_view key) const;

  // One error per key that is not in `known` (typos are errors, DESIGN.md §4).
  std::vector<ConfigError> unknown_fields(std::span<const std::string_view> known) const;
  // An error located at this table, or at `key` when it is present.
  ConfigError error(std::string_view key, std::string message) const;

 private:
  const ConfigNode* table_;
};

}  // namespace recourse
