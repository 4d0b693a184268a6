// The built-in policy providers (see builtins.cppm).
module;
#include <optional>
#include <utility>

module recourse.executor;

namespace recourse {

std::optional<ResolvedPolicy> BuiltinPolicyProvider::policy_for(const Key& key) const {
  static const PolicyTable empty;
  return resolve(empty, key);
}

StaticPolicyProvider::StaticPolicyProvider(PolicyTable table) : table_(std::move(table)) {}

std::optional<ResolvedPolicy> StaticPolicyProvider::policy_for(const Key& key) const {
  ResolvedPolicy resolved = resolve(table_, key);
  if (resolved.layers.empty()) return std::nullopt;
  return resolved;
}

const PolicyTable& StaticPolicyProvider::table() const noexcept { return table_; }

}  // namespace recourse
