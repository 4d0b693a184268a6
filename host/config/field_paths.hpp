// How config messages name fields and lists, shared by the config readers: dotted field paths
// (`policies."payments.Charge".retry`) and comma-joined names. No TOML here: every reader
// after the copy into ConfigNode (config_node_reader) works on nodes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace recourse::host::field_paths {

// `key` as it may appear in a dotted path: bare when it can be, "quoted" otherwise.
std::string segment(std::string_view key);

// "a.b" + "c" → "a.b.c"; an empty parent gives just the segment.
std::string join(std::string_view parent, std::string_view key);

// "a, b, c"
std::string join_names(const std::vector<std::string_view>& names);

}  // namespace recourse::host::field_paths
