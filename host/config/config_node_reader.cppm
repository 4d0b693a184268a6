// recourse.host.config:config_node_reader (internal) — copies a parsed TOML document into the
// core's ConfigNode tree, the one form every reader after it works on (the top level, policies,
// components, which validate their own parameters without seeing toml++). Keys keep their
// locations (ConfigField::where) as values do.
//
// ConfigNode has no date or time kind and no recourse setting takes one, so a TOML date, time
// or date-time is an error here, where its type is still known (a ConfigView getter would
// only see text). The node is kept as its TOML text so a partial reading reports it once.
module;
#include <toml++/toml.h>

#include <sstream>
#include <string>
#include <vector>

#include "field_paths.hpp"
#include "toml_reading.hpp"

module recourse.host.config:config_node_reader;

import recourse.core;

namespace recourse::host {

// Where a node was written: its own source when it has one (a value laid over the file by an
// override names "override N"), else the file.
inline std::string source_of(const toml::source_region& source, const std::string& file) {
  return source.path ? std::string(*source.path) : file;
}

inline ConfigNode to_config_node(const toml::node& node, const std::string& path, const std::string& file,
                                 std::vector<ConfigError>& errors) {
  ConfigNode out;
  out.path = path;
  out.where = SourceLocation{source_of(node.source(), file), node.source().begin.line, node.source().begin.column};
  if (const auto* table = node.as_table()) {
    out.kind = ConfigNode::Kind::table;
    for (auto&& [key, value] : *table)
      out.fields.push_back(
          {std::string(key.str()), to_config_node(value, field_paths::join(path, key.str()), file, errors),
           SourceLocation{source_of(key.source(), file), key.source().begin.line, key.source().begin.column}});
  } else if (const auto* array = node.as_array()) {
    out.kind = ConfigNode::Kind::array;
    for (std::size_t i = 0; i < array->size(); ++i)
      out.items.push_back(to_config_node(*array->get(i), path + "[" + std::to_string(i) + "]", file, errors));
  } else if (auto b = node.value_exact<bool>()) {
    out.kind = ConfigNode::Kind::boolean;
    out.boolean = *b;
  } else if (auto i = node.value_exact<std::int64_t>()) {
    out.kind = ConfigNode::Kind::integer;
    out.integer = *i;
  } else if (auto d = node.value_exact<double>()) {
    out.kind = ConfigNode::Kind::number;
    out.number = *d;
  } else if (auto s = node.value_exact<std::string>()) {
    out.kind = ConfigNode::Kind::string;
    out.string = *s;
  } else {
    out.kind = ConfigNode::Kind::string;
    out.string = toml_reading::quote(node);
    errors.push_back(ConfigError{out.where, path,
                                 "got " + std::string(toml_reading::type_name(node)) + " " + out.string +
                                     ", but no recourse setting takes a TOML date or time; for text, quote it: \"" +
                                     out.string + "\""});
  }
  return out;
}

}  // namespace recourse::host
