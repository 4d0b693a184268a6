// recourse.host.analysis:configured_policies — the policies a table can hand out, each
// resolved the way a call would see it. `explain` prints them and `validate` checks them, in the
// same order: every exact key, every namespace wildcard (a key of that namespace with no entry
// of its own), then any other key ([defaults] over the built-in policy).
module;
#include <string>
#include <vector>

export module recourse.host.analysis:configured_policies;

export import recourse.core;

export namespace recourse::host {

struct ConfiguredPolicy {
  std::string key;          // "payments.Charge", "payments.*" or "*"
  ResolvedPolicy resolved;  // merged and normalized, with every field's origin
  SourceLocation header;    // the table header of the most specific layer; empty for built-in
};

std::vector<ConfiguredPolicy> configured_policies(const PolicyTable& table);

// One key, resolved like a call resolves it.
ConfiguredPolicy configured_policy(const PolicyTable& table, const Key& key);

}  // namespace recourse::host
