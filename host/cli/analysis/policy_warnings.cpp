// The risky-policy checks (see policy_warnings.cppm).
module;
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

module recourse.host.analysis;

namespace recourse::host {
namespace {

// Of `paths`, the origin set by the most specific layer (the first on a tie); the policy's
// header when none was configured.
SourceLocation where_to_change(const ConfiguredPolicy& policy, std::initializer_list<std::string_view> paths) {
  const FieldOrigin* best = nullptr;
  for (std::string_view path : paths) {
    const FieldOrigin& origin = policy.resolved.origins[field_index(*find_policy_field(path))];
    if (origin.where.line != 0 && (best == nullptr || origin.layer > best->layer)) best = &origin;
  }
  return best != nullptr ? best->where : policy.header;
}

// Empty when the budget really limits; otherwise why it does not.
std::string missing_budget(const BudgetRef& budget, std::span<const ComponentSpec> budgets) {
  if (budget.name.empty()) return "no budget";
  const auto spec = std::ranges::find(budgets, budget.name, &ComponentSpec::name);
  if (spec != budgets.end() && spec->plugin == builtin::unlimited)
    return fmt::format("budget \"{}\", which is {} (never refuses)", budget.name, builtin::unlimited);
  return {};
}

// d × n, saturating at the largest duration rather than overflowing.
Duration times(Duration d, int n) {
  if (n > 0 && d > Duration::max() / n) return Duration::max();
  return d * n;
}

}  // namespace

std::vector<Warning> policy_warnings(const ConfiguredPolicy& policy, std::span<const ComponentSpec> budgets) {
  std::vector<Warning> out;
  const auto warn = [&](const char* code, SourceLocation where, std::string message) {
    out.push_back(Warning{code, policy.key, std::move(where), std::move(message)});
  };
  const Policy& p = policy.resolved.policy;
  const RetryPolicy& retry = p.retry;

  if (retry.max_attempts > 1) {
    if (std::string why = missing_budget(retry.budget, budgets); !why.empty())
      warn(warning_code::retry_without_budget, where_to_change(policy, {"retry.max_attempts", "retry.budget.name"}),
           fmt::format("up to {} attempts per call with {}: an outage multiplies the load on the dependency "
                       "by {}; set retry.budget",
                       retry.max_attempts, why, retry.max_attempts));
  }
  if (p.hedge.enabled) {
    if (std::string why = missing_budget(p.hedge.budget, budgets); !why.empty())
      warn(warning_code::hedge_without_budget, where_to_change(policy, {"hedge.enabled", "hedge.budget.name"}),
           fmt::format("hedging (up to {} extra attempt(s) per attempt) with {}: a slow dependency gets "
                       "more load exactly when it is struggling; set hedge.budget",
                       p.hedge.max_hedges, why));
  }
  const bool has_overall = retry.overall_timeout > Duration::zero();
  if (has_overall && retry.per_attempt_timeout > Duration::zero()) {
    const Duration all_attempts = times(retry.per_attempt_timeout, retry.max_attempts);
    if (all_attempts > retry.overall_timeout)
      warn(warning_code::attempt_timeouts_exceed_overall,
           where_to_change(policy, {"retry.max_attempts", "retry.per_attempt_timeout", "retry.overall_timeout"}),
           fmt::format("{} attempts × {} per-attempt timeout = {}, above the overall timeout {}: the last "
                       "attempts are cut short or never run",
                       retry.max_attempts, format_duration(retry.per_attempt_timeout), format_duration(all_attempts),
                       format_duration(retry.overall_timeout)));
  }
  if (has_overall && retry.max_attempts > 1 && retry.max_retry_after > retry.overall_timeout)
    warn(warning_code::retry_after_cap_exceeds_overall,
         where_to_change(policy, {"retry.max_retry_after", "retry.overall_timeout"}),
         fmt::format("retry.max_retry_after {} is above the overall timeout {}: a Retry-After the cap allows "
                     "ends the call (retry_after_exceeds_deadline) instead of delaying it; lower "
                     "retry.max_retry_after",
                     format_duration(retry.max_retry_after), format_duration(retry.overall_timeout)));
  return out;
}

}  // namespace recourse::host
