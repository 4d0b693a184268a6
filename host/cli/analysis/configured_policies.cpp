// Listing and resolving the policies of a table (see configured_policies.cppm).
module;
#include <string>
#include <vector>

module recourse.host.analysis;

namespace recourse::host {

ConfiguredPolicy configured_policy(const PolicyTable& table, const Key& key) {
  ConfiguredPolicy out{key.str(), resolve(table, key), {}};
  if (out.resolved.layers.empty()) return out;
  // The id names the most specific layer, but a key may itself be called "defaults": go by the
  // layer's kind.
  switch (out.resolved.layers.back()) {
    case PolicyLayer::exact: out.header = table.exact.find(key.str())->second.where; break;
    case PolicyLayer::ns_wildcard: out.header = table.namespaces.find(key.ns())->second.where; break;
    case PolicyLayer::defaults: out.header = table.defaults.where; break;
    case PolicyLayer::builtin: break;
  }
  return out;
}

std::vector<ConfiguredPolicy> configured_policies(const PolicyTable& table) {
  std::vector<ConfiguredPolicy> out;
  for (const auto& [text, patch] : table.exact) out.push_back(configured_policy(table, *Key::parse(text)));
  // "ns.*" parses as name "*" in namespace ns, which no exact entry can be: it resolves to the
  // wildcard's own layers.
  for (const auto& [ns, patch] : table.namespaces) out.push_back(configured_policy(table, *Key::parse(ns + ".*")));
  // "*" can be no configured key (the loader refuses it), so it resolves to [defaults].
  out.push_back(configured_policy(table, *Key::parse("*")));
  return out;
}

}  // namespace recourse::host
