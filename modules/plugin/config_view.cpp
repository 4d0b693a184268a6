// ConfigView's typed getters (see config_view.cppm).
module;
#include <charconv>
#include <cmath>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

module recourse.plugin;

namespace recourse {
namespace {

// The shortest text that reads back as `value` ("0.1", "2.5", "1e-09"), positional while that
// stays short; std::to_string's "%f" would print 1e-9 as "0.000000".
std::string number_text(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  char buffer[64];
  const double magnitude = std::fabs(value);
  const bool positional = magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e16);
  const auto [end, ec] = positional ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed)
                                    : std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc{}) return std::to_string(value);
  return std::string(buffer, end);
}

// A TOML float as TOML writes it: "2.0", not "2".
std::string float_text(double value) {
  std::string text = number_text(value);
  if (std::isfinite(value) && text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

ConfigError at(const ConfigNode& node, std::string message) { return ConfigError{node.where, node.path, std::move(message)}; }

std::unexpected<ConfigError> wrong(const ConfigNode& node, std::string_view expected) {
  return std::unexpected(at(node, "expected " + std::string(expected) + ", got " + describe_value(node)));
}

}  // namespace

std::string value_text(const ConfigNode& node) {
  switch (node.kind) {
    case ConfigNode::Kind::boolean: return node.boolean ? "true" : "false";
    case ConfigNode::Kind::integer: return std::to_string(node.integer);
    case ConfigNode::Kind::number: return float_text(node.number);
    case ConfigNode::Kind::string: return "\"" + node.string + "\"";
    case ConfigNode::Kind::array: return "[...]";
    case ConfigNode::Kind::table: return "{...}";
  }
  return "?";
}

std::string describe_value(const ConfigNode& node) {
  const std::string_view kind = node.kind == ConfigNode::Kind::number ? "float" : to_string(node.kind);
  return std::string(kind) + " " + value_text(node);
}

std::string to_string(const ConfigError& error) {
  std::string text = to_string(error.where);
  if (!text.empty()) text += ": ";
  if (!error.field_path.empty()) text += error.field_path + ": ";
  return text + error.message;
}

std::string_view to_string(ConfigNode::Kind kind) noexcept {
  switch (kind) {
    case ConfigNode::Kind::boolean: return "boolean";
    case ConfigNode::Kind::integer: return "integer";
    case ConfigNode::Kind::number: return "number";
    case ConfigNode::Kind::string: return "string";
    case ConfigNode::Kind::array: return "array";
    case ConfigNode::Kind::table: return "table";
  }
  return "value";
}

ConfigView::ConfigView(const ConfigNode& table) noexcept : table_(&table) {}

const ConfigNode* ConfigView::find(std::string_view key) const noexcept {
  for (const ConfigField& field : table_->fields)
    if (field.name == key) return &field.value;
  return nullptr;
}

const SourceLocation& ConfigView::where() const noexcept { return table_->where; }
const std::string& ConfigView::path() const noexcept { return table_->path; }

ConfigResult<std::optional<bool>> ConfigView::boolean(std::string_view key) const {
  const ConfigNode* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (node->kind != ConfigNode::Kind::boolean) return wrong(*node, "a boolean");
  return node->boolean;
}

ConfigResult<std::optional<std::int64_t>> ConfigView::integer(std::string_view key, std::int64_t min,
                                                              std::int64_t max) const {
  const ConfigNode* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (node->kind != ConfigNode::Kind::integer) return wrong(*node, "an integer");
  if (node->integer < min || node->integer > max)
    return std::unexpected(at(*node, "out of range: " + std::to_string(node->integer) + "; allowed from " +
                                         std::to_string(min) + " to " + std::to_string(max)));
  return node->integer;
}

ConfigResult<std::optional<double>> ConfigView::number(std::string_view key, double min, double max) const {
  const ConfigNode* node = find(key);
  if (node == nullptr) return std::nullopt;
  double value;
  if (node->kind == ConfigNode::Kind::integer) value = static_cast<double>(node->integer);
  else if (node->kind == ConfigNode::Kind::number) value = node->number;
  else return wrong(*node, "a number");
  if (!std::isfinite(value) || value < min || value > max)
    return std::unexpected(at(*node, "out of range: " +
                                         (node->kind == ConfigNode::Kind::integer ? std::to_string(node->integer)
                                                                                  : float_text(value)) +
                                         "; allowed from " + number_text(min) + " to " + number_text(max)));
  return value;
}

ConfigResult<std::optional<std::string>> ConfigView::string(std::string_view key) const {
  const ConfigNode* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (node->kind != ConfigNode::Kind::string) return wrong(*node, "a string");
  return node->string;
}

ConfigResult<std::optional<Duration>> ConfigView::duration(std::string_view key) const {
  const ConfigNode* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (node->kind != ConfigNode::Kind::string) return wrong(*node, "a duration string such as \"250ms\"");
  auto parsed = parse_duration(node->string);
  if (!parsed) return std::unexpected(at(*node, parsed.error()));
  return *parsed;
}

ConfigResult<std::optional<std::vector<bool>>> ConfigView::booleans(std::string_view key) const {
  const ConfigNode* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (node->kind != ConfigNode::Kind::array) return wrong(*node, "an array of booleans");
  std::vector<bool> values;
  for (const ConfigNode& item : node->items) {
    if (item.kind != ConfigNode::Kind::boolean) return wrong(item, "a boolean");
    values.push_back(item.boolean);
  }
  return values;
}

ConfigResult<std::optional<std::vector<std::string>>> ConfigView::strings(std::string_view key) const {
  const ConfigNode* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (node->kind != ConfigNode::Kind::array) return wrong(*node, "an array of strings");
  std::vector<std::string> values;
  for (const ConfigNode& item : node->items) {
    if (item.kind != ConfigNode::Kind::string) return wrong(item, "a string");
    values.push_back(item.string);
  }
  return values;
}

std::vector<ConfigError> ConfigView::unknown_fields(std::span<const std::string_view> known) const {
  std::vector<ConfigError> errors;
  for (const auto& [name, node, key_where] : table_->fields) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == name;
    if (ok) continue;
    std::string list;
    for (std::string_view k : known) list.append(list.empty() ? "" : ", ").append(k);
    // At the key, as the policy reader reports an unknown field; at the value for a node built
    // in code without key locations.
    const SourceLocation& where = key_where.line != 0 ? key_where : node.where;
    errors.push_back(ConfigError{where, node.path, "unknown field \"" + name + "\"; known: " + list});
  }
  return errors;
}

ConfigError ConfigView::error(std::string_view key, std::string message) const {
  if (const ConfigNode* node = find(key)) return at(*node, std::move(message));
  // An absent field is reported at its table, under the path it would have had.
  std::string path = table_->path;
  if (!key.empty()) path += (path.empty() ? "" : ".") + std::string(key);
  return ConfigError{table_->where, std::move(path), std::move(message)};
}

}  // namespace recourse
