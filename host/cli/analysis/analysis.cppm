// recourse.host.analysis — what a loaded configuration means, without running anything: the
// warnings `recourse validate` prints (risky policies, keys that look generated), the worst
// case of a policy and which component serves each name a policy uses (`recourse explain`).
//
// Pure functions over a Config, a ResolvedPolicy and the loaded plugins' descriptions: no I/O,
// so the Boost tests call them directly and the tool only formats what they return.
export module recourse.host.analysis;

export import :warning;
export import :configured_policies;
export import :policy_warnings;
export import :key_cardinality;
export import :worst_case;
export import :component_sources;
