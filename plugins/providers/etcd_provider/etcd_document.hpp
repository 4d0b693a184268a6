// What the `etcd` provider offers the host: in key mode the key's value as it is; in prefix
// mode the values of every key under the prefix, in key order, composed into one document, each
// part under a comment line naming its key. The host reads the composed text; an error it finds
// there is located back in the key it came from (relocate), so "etcd:/p/b:2:22: …" names the
// value to fix, not a line of text nobody stored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace recourse::plugins::etcd_provider {

// How a document (or a part of one) is named in errors and `explain`: "etcd:<key>".
std::string label_of(std::string_view key);

struct StoredValue {
  std::string value;
  std::int64_t mod_revision = 0;
};
using PrefixValues = std::map<std::string, StoredValue>;  // key → value; std::map: key order

struct ComposedDocument {
  struct Part {
    std::string key;
    std::size_t first_line = 0;  // the composed text's line (1-based) of the value's first line
    std::size_t lines = 0;
  };
  std::string text;
  std::vector<Part> parts;
  // Parts the composition cannot take, located in their keys: a part must start with a table
  // header (after blank and comment lines), or its first keys would land in the table the part
  // before it ended with.
  std::vector<std::string> errors;
  std::int64_t revision = 0;  // the highest mod_revision among the parts
};
ComposedDocument compose(const PrefixValues& values);

// `error` as the host wrote it ("<label>:<line>:<col>: …", label the composed document's), with
// the location moved into the part it falls in; any other error unchanged.
std::string relocate(const std::string& error, std::string_view label, const ComposedDocument& document);

}  // namespace recourse::plugins::etcd_provider
