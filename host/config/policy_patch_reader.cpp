// Reading one policy layer (see policy_patch_reader.cppm).
module;
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "field_paths.hpp"

module recourse.host.config;

import recourse.core;
import :policy_patch_reader;

namespace recourse::host {
namespace {

using field_paths::join_names;
using field_paths::segment;

// The names that may follow `prefix` in a field path: "retry" and "hedge" under "", then
// "max_attempts", "budget", ... under "retry". Derived from the catalogue, never listed twice.
std::vector<std::string_view> names_under(std::string_view prefix) {
  std::vector<std::string_view> names;
  for (const FieldInfo& f : policy_fields()) {
    std::string_view path = f.path;
    if (!prefix.empty()) {
      if (!path.starts_with(prefix) || path.size() <= prefix.size() || path[prefix.size()] != '.') continue;
      path.remove_prefix(prefix.size() + 1);
    }
    const std::string_view head = path.substr(0, path.find('.'));
    if (std::ranges::find(names, head) == names.end()) names.push_back(head);
  }
  return names;
}

bool is_section(std::string_view schema_path) { return !names_under(schema_path).empty(); }

std::string schema_join(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : std::string(prefix) + "." + std::string(name);
}

std::string got(const ConfigNode& node) { return "got " + describe_value(node); }

std::string range_text(double min, double max) {
  auto number = [](double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (s.ends_with('.')) s.pop_back();
    return s;
  };
  if (std::isinf(max)) return "at least " + number(min);
  return "from " + number(min) + " to " + number(max);
}

}  // namespace

PolicyPatch PolicyPatchReader::read(const ConfigNode& layer) {
  PolicyPatch patch;
  patch.where = layer.where;
  read_section(layer, "", patch);
  return patch;
}

bool PolicyPatchReader::reported(const ConfigNode& node) const {
  return std::ranges::any_of(copied_, [&](const ConfigError& e) {
    return e.field_path == node.path && e.where.line == node.where.line && e.where.column == node.where.column;
  });
}

void PolicyPatchReader::read_section(const ConfigNode& table, std::string_view schema_prefix, PolicyPatch& out) {
  for (const ConfigField& entry : table.fields) {
    const std::string schema_path = schema_join(schema_prefix, entry.name);
    const ConfigNode& node = entry.value;
    if (const FieldInfo* field = find_policy_field(schema_path)) {
      if (!reported(node)) read_field(*field, node, out);
    } else if (is_section(schema_path)) {
      if (node.kind == ConfigNode::Kind::table) read_section(node, schema_path, out);
      else fail(node.where, node.path, "expected a table, " + got(node));
    } else {
      const std::vector<std::string_view> known = names_under(schema_prefix);
      std::string message = "unknown field \"" + entry.name + "\"";
      message += did_you_mean(entry.name, known);
      message += "; known " +
                 (schema_prefix.empty() ? std::string("sections") : "fields of " + std::string(schema_prefix)) + ": " +
                 join_names(known);
      // The field is refused whatever its value: a wrong TOML type inside it is beside the point.
      forget_copy_errors_within(copied_, node);
      fail(entry.where, node.path, std::move(message));
    }
  }
}

void PolicyPatchReader::read_field(const FieldInfo& field, const ConfigNode& node, PolicyPatch& out) {
  using Kind = ConfigNode::Kind;
  auto keep = [&](FieldValue value) { out.entries.push_back({&field, std::move(value), node.where}); };
  auto wrong_type = [&](std::string_view expected) {
    fail(node.where, node.path, "expected " + std::string(expected) + ", " + got(node));
  };
  auto out_of_range = [&] {
    fail(node.where, node.path, "out of range: " + value_text(node) + "; allowed " + range_text(field.min, field.max));
  };

  switch (field.kind) {
    case FieldKind::boolean:
      if (node.kind == Kind::boolean) return keep(node.boolean);
      return wrong_type("a boolean (true or false)");

    case FieldKind::integer: {
      if (node.kind != Kind::integer) return wrong_type("an integer");
      if (static_cast<double>(node.integer) < field.min || static_cast<double>(node.integer) > field.max)
        return out_of_range();
      return keep(static_cast<int>(node.integer));
    }

    case FieldKind::number: {
      if (node.kind != Kind::integer && node.kind != Kind::number) return wrong_type("a number");
      const double v = node.kind == Kind::integer ? static_cast<double>(node.integer) : node.number;
      if (!std::isfinite(v) || v < field.min || v > field.max) return out_of_range();
      return keep(v);
    }

    case FieldKind::duration:
    case FieldKind::string:
    case FieldKind::enumeration: {
      if (node.kind != Kind::string) {
        if (field.kind == FieldKind::duration) return wrong_type("a duration string such as \"250ms\"");
        if (field.kind == FieldKind::enumeration)
          return wrong_type("one of " + join_names({field.choices.begin(), field.choices.end()}));
        return wrong_type("a string");
      }
      if (node.string.size() < field.min) return fail(node.where, node.path, "must not be empty");
      auto value = field.from_text(node.string);
      if (!value) return fail(node.where, node.path, value.error());
      return keep(std::move(*value));
    }
  }
}

}  // namespace recourse::host
