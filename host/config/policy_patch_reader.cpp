// Reading one policy layer from TOML (see policy_patch_reader.cppm).
module;
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "toml_reading.hpp"

module recourse.host.config;

import recourse.core;
import :policy_patch_reader;

namespace recourse::host {
namespace {

using namespace toml_reading;

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

std::string got(const toml::node& node) {
  return "got " + std::string(type_name(node)) + " " + quote(node);
}

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

PolicyPatch PolicyPatchReader::read(const toml::table& layer, std::string_view toml_path) {
  PolicyPatch patch;
  patch.where = locate(layer.source());
  read_section(layer, "", toml_path, patch);
  return patch;
}

void PolicyPatchReader::read_section(const toml::table& table, std::string_view schema_prefix,
                                     std::string_view toml_path, PolicyPatch& out) {
  for (auto&& [key, node] : table) {
    const std::string schema_path = schema_join(schema_prefix, key.str());
    const std::string path = join_path(toml_path, key.str());
    if (const FieldInfo* field = find_policy_field(schema_path)) {
      read_field(*field, node, path, out);
    } else if (is_section(schema_path)) {
      if (const toml::table* sub = node.as_table()) read_section(*sub, schema_path, path, out);
      else fail(node.source(), path, "expected a table, " + got(node));
    } else {
      const std::vector<std::string_view> known = names_under(schema_prefix);
      std::string message = "unknown field \"" + std::string(key.str()) + "\"";
      message += did_you_mean(key.str(), known);
      message += "; known " + (schema_prefix.empty() ? std::string("sections") : "fields of " + std::string(schema_prefix)) +
                 ": " + join(known);
      fail(key.source(), path, std::move(message));
    }
  }
}

void PolicyPatchReader::read_field(const FieldInfo& field, const toml::node& node, std::string_view path,
                                   PolicyPatch& out) {
  auto keep = [&](FieldValue value) { out.entries.push_back({&field, std::move(value), locate(node.source())}); };
  auto wrong_type = [&](std::string_view expected) { fail(node.source(), path, "expected " + std::string(expected) + ", " + got(node)); };

  switch (field.kind) {
    case FieldKind::boolean:
      if (auto v = node.value_exact<bool>()) return keep(*v);
      return wrong_type("a boolean (true or false)");

    case FieldKind::integer: {
      const auto v = node.value_exact<std::int64_t>();
      if (!v) return wrong_type("an integer");
      if (static_cast<double>(*v) < field.min || static_cast<double>(*v) > field.max)
        return fail(node.source(), path, "out of range: " + quote(node) + "; allowed " + range_text(field.min, field.max));
      return keep(static_cast<int>(*v));
    }

    case FieldKind::number: {
      const auto v = node.is_integer() ? node.value<double>() : node.value_exact<double>();
      if (!v) return wrong_type("a number");
      if (!std::isfinite(*v) || *v < field.min || *v > field.max)
        return fail(node.source(), path, "out of range: " + quote(node) + "; allowed " + range_text(field.min, field.max));
      return keep(*v);
    }

    case FieldKind::duration:
    case FieldKind::string:
    case FieldKind::enumeration: {
      const auto text = node.value_exact<std::string>();
      if (!text) {
        if (field.kind == FieldKind::duration) return wrong_type("a duration string such as \"250ms\"");
        if (field.kind == FieldKind::enumeration) return wrong_type("one of " + join({field.choices.begin(), field.choices.end()}));
        return wrong_type("a string");
      }
      if (text->size() < field.min) return fail(node.source(), path, "must not be empty");
      auto value = field.from_text(*text);
      if (!value) return fail(node.source(), path, value.error());
      return keep(std::move(*value));
    }
  }
}

}  // namespace recourse::host
