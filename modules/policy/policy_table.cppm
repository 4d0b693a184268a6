// recourse.policy:table — policies as configured, and resolution of one key against them.
//
// A PolicyTable holds partial policies (patches) in three layers: [defaults], namespace
// wildcards ("payments.*") and exact keys ("payments.Charge"). resolve() merges them field by
// field — exact over wildcard over defaults over built-in — normalizes the result and reports
// where every field came from. The host fills a table from TOML; a provider may fill it from
// anywhere else.
module;
#include "recourse/export.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

export module recourse.policy:table;

import recourse.key;
import :fields;
import :types;

export namespace recourse {

// A place in a config file, 1-based; line 0 means "not from a file".
struct SourceLocation {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

// "file:line:col", "file" without a line, "" for no file.
RECOURSE_API std::string to_string(const SourceLocation& where);

struct PatchEntry {
  const FieldInfo* field;  // points into policy_fields()
  FieldValue value;
  SourceLocation where;
};

// A partial policy: the fields one layer sets. Later entries for the same field win.
struct PolicyPatch {
  std::vector<PatchEntry> entries;
  SourceLocation where;  // the table header
};

enum class PolicyLayer : std::uint8_t { builtin, defaults, ns_wildcard, exact };

RECOURSE_API std::string_view to_string(PolicyLayer layer) noexcept;

struct PolicyTable {
  PolicySource source = PolicySource::static_config;
  PolicyPatch defaults;
  std::map<std::string, PolicyPatch, std::less<>> namespaces;  // "payments" for "payments.*"
  std::map<std::string, PolicyPatch, std::less<>> exact;       // canonical key text
};

// Where one field's effective value came from.
struct FieldOrigin {
  PolicyLayer layer = PolicyLayer::builtin;
  std::string layer_name;  // "built-in", "defaults", "payments.*", "payments.Charge"
  SourceLocation where;    // the line that set it; empty for built-in
};

struct ResolvedPolicy {
  Policy policy;                     // merged and normalized
  std::vector<FieldOrigin> origins;  // one per policy_fields() entry, same order
  std::vector<PolicyLayer> layers;   // the layers that matched, lowest precedence first
};

// id: the exact key, "ns.*", "defaults" or "builtin" — the most specific layer that matched.
// source: PolicySource::builtin_default when no layer matched, the table's source otherwise.
RECOURSE_API ResolvedPolicy resolve(const PolicyTable& table, const Key& key);

}  // namespace recourse
