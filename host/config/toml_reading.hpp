// What the copy from TOML into ConfigNode (config_node_reader) needs to word an error about a
// TOML value: its type name and its text. The only header that includes toml++, included only
// in that copy's unit and the parse.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>

namespace recourse::host::toml_reading {

// How a node's type is called in messages ("integer", "string", ...).
std::string_view type_name(const toml::node& node);

// The value as TOML would write it, for quoting in messages; tables and arrays abbreviated.
std::string quote(const toml::node& node);

}  // namespace recourse::host::toml_reading
