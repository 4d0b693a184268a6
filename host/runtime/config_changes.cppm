// recourse.host.runtime:changes — what a new config changes against the running one, as a
// reload reports it (ReloadResult::changes, the observers' on_config): one line per policy
// layer, component, executor setting or plugin list that differs. Locations are not part of a
// value: a config only moved around in its file changes nothing.
module;
#include <string>
#include <vector>

export module recourse.host.runtime:changes;

import recourse.core;
import recourse.host.config;

export namespace recourse::host {

// Same kind and value, fields by name in order, items in order; locations ignored.
bool same_settings(const ConfigNode& a, const ConfigNode& b);

// "policies.\"payments.*\": retry.max_attempts 3 -> 5", "observers.audit: added", ...
std::vector<std::string> describe_changes(const Config& before, const Config& after);
// The same without the policy layers: components, budgets, the provider, [executor], [plugins].
std::vector<std::string> describe_component_changes(const Config& before, const Config& after);

}  // namespace recourse::host
