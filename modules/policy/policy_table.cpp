// Field-by-field policy resolution (see policy_table.cppm).
module;
#include <string>
#include <string_view>
#include <vector>

module recourse.policy;

import recourse.key;

namespace recourse {

std::string to_string(const SourceLocation& where) {
  if (where.line == 0) return where.file;
  return where.file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
}

std::string_view to_string(PolicyLayer layer) noexcept {
  switch (layer) {
    case PolicyLayer::builtin: return "built-in";
    case PolicyLayer::defaults: return "defaults";
    case PolicyLayer::ns_wildcard: return "namespace";
    case PolicyLayer::exact: return "exact";
  }
  return "invalid";
}

namespace {

void apply(const PolicyPatch& patch, PolicyLayer layer, std::string_view name, Policy& policy,
           std::vector<FieldOrigin>& origins) {
  for (const PatchEntry& entry : patch.entries) {
    entry.field->set(policy, entry.value);
    origins[field_index(*entry.field)] = FieldOrigin{layer, std::string(name), entry.where};
  }
}

}  // namespace

ResolvedPolicy resolve(const PolicyTable& table, const Key& key) {
  ResolvedPolicy result;
  result.origins.assign(policy_fields().size(), FieldOrigin{PolicyLayer::builtin, "built-in", {}});
  Policy& policy = result.policy;

  const auto layer = [&](const PolicyPatch& patch, PolicyLayer kind, std::string id) {
    apply(patch, kind, id, policy, result.origins);
    policy.id = std::move(id);
    result.layers.push_back(kind);
  };

  // An empty [defaults] still matches: its presence is a statement that the config owns them.
  if (!table.defaults.entries.empty() || table.defaults.where.line != 0)
    layer(table.defaults, PolicyLayer::defaults, "defaults");
  if (!key.ns().empty())
    if (auto it = table.namespaces.find(key.ns()); it != table.namespaces.end())
      layer(it->second, PolicyLayer::ns_wildcard, std::string(key.ns()) + ".*");
  if (auto it = table.exact.find(key.str()); it != table.exact.end())
    layer(it->second, PolicyLayer::exact, key.str());

  policy.source = result.layers.empty() ? PolicySource::builtin_default : table.source;
  policy = normalize(std::move(policy));
  return result;
}

}  // namespace recourse
