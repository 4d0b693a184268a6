// Helpers shared by the TOML readers of recourse.host.config: locations, type names, quoting
// and the error sink. Included only in module implementation units' global fragments.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>
#include <vector>

namespace recourse::host::toml_reading {

// How a node's type is called in messages ("integer", "string", ...).
std::string_view type_name(const toml::node& node);

// The value as TOML would write it, for quoting in messages; tables and arrays abbreviated.
std::string quote(const toml::node& node);

// `key` as it may appear in a dotted path: bare when it can be, "quoted" otherwise.
std::string path_segment(std::string_view key);

// "a.b" + "c" → "a.b.c"; an empty parent gives just the segment.
std::string join_path(std::string_view parent, std::string_view key);

// "a, b, c"
std::string join(const std::vector<std::string_view>& names);

}  // namespace recourse::host::toml_reading
