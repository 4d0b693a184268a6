// recourse.host.analysis:policy_warnings — policies that load and normalize fine but can hurt
// the dependency or the caller:
//
//   retry-without-budget             retries with no budget (or an unlimited one): in an outage
//                                    every caller multiplies its load by max_attempts
//   hedge-without-budget             the same for hedges, which fire while the dependency is
//                                    merely slow
//   attempt-timeouts-exceed-overall  max_attempts × per_attempt_timeout > overall_timeout: the
//                                    later attempts the config promises can never all run
//   retry-after-cap-exceeds-overall  a Retry-After up to max_retry_after is honoured, but one
//                                    beyond the overall timeout ends the call instead
//
// Each warning points at the line to change: of the fields involved, the one set by the most
// specific layer, else the policy's table header.
module;
#include <span>
#include <vector>

export module recourse.host.analysis:policy_warnings;

export import recourse.host.config;
import :warning;
import :configured_policies;

export namespace recourse::host {

// `budgets` are the config's [budgets.*], so a budget that is `unlimited` counts as
// none.
std::vector<Warning> policy_warnings(const ConfiguredPolicy& policy, std::span<const ComponentSpec> budgets);

}  // namespace recourse::host
