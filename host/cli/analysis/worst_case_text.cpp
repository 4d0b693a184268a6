// The worst case in words (see worst_case.cppm): the same arithmetic as worst_case(), shown
// term by term so a reader can check it against the policy's fields.
module;
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <string>

module recourse.host.analysis;

namespace recourse::host {
namespace {

// "4 × 2s per-attempt timeout" or "4 × (2s per-attempt timeout + 1 × 30ms hedge delay)".
std::string attempts_term(const WorstCase& worst, const Policy& policy) {
  const RetryPolicy& retry = policy.retry;
  const std::string timeout = format_duration(retry.per_attempt_timeout);
  if (worst.hedges_per_group == 0) return fmt::format("{} × {} per-attempt timeout", worst.attempt_groups, timeout);
  const bool fixed = policy.hedge.trigger == HedgeTriggerKind::fixed;
  const Duration delay = fixed ? policy.hedge.delay : std::max(policy.hedge.delay, retry.per_attempt_timeout);
  return fmt::format("{} × ({} per-attempt timeout + {} × {} hedge delay{})", worst.attempt_groups, timeout,
                     worst.hedges_per_group, format_duration(delay),
                     fixed ? "" : ", a latency percentile no longer than the timeout");
}

std::string waits_term(const WorstCase& worst, const Policy& policy) {
  const int waits = worst.attempt_groups - 1;
  if (waits == 0) return "no waits";
  return worst.waits_from_retry_after
             ? fmt::format("{} × {} retry.max_retry_after wait", waits, format_duration(policy.retry.max_retry_after))
             : fmt::format("{} × {} retry.max_backoff wait", waits, format_duration(policy.retry.max_backoff));
}

std::string sum_text(const WorstCase& worst, const Policy& policy) {
  const Duration sum = *worst.attempts_and_waits;
  const char* dominant = *worst.waits_time > *worst.attempts_time ? "the waits dominate" : "the attempts dominate";
  return fmt::format("{} = {} + {}; {}", format_duration(sum), attempts_term(worst, policy), waits_term(worst, policy),
                     dominant);
}

std::string budget_note(const char* what, const BudgetRef& budget) {
  if (budget.name.empty()) return fmt::format("no budget limits {}", what);
  return fmt::format("{} ask budget \"{}\" (cost {} each)", what, budget.name, budget.cost);
}

}  // namespace

WorstCaseText describe(const WorstCase& worst, const Policy& policy) {
  WorstCaseText text;
  text.attempts = worst.hedges_per_group > 0
                      ? fmt::format("{} = {} attempt(s) × (1 + {} hedge(s))", worst.attempts, worst.attempt_groups,
                                    worst.hedges_per_group)
                      : fmt::format("{} (retry.max_attempts; no hedging)", worst.attempts);

  const Duration overall = policy.retry.overall_timeout;
  switch (worst.bound) {
    case TimeBound::overall_timeout:
      text.total_time =
          worst.attempts_time
              ? fmt::format("{}: retry.overall_timeout ends the call first (attempts and waits alone: {})",
                            format_duration(overall), sum_text(worst, policy))
              : fmt::format("{}: retry.overall_timeout (no per-attempt timeout)", format_duration(overall));
      break;
    case TimeBound::attempts_and_waits:
      text.total_time = sum_text(worst, policy);
      if (overall > Duration::zero()) text.total_time += fmt::format(" (under the overall timeout {})", format_duration(overall));
      break;
    case TimeBound::unbounded:
      text.total_time = "unbounded: no timeout (set retry.per_attempt_timeout or retry.overall_timeout)";
      break;
  }

  text.amplification = fmt::format("{}x: up to {} request(s) reach the dependency per call", worst.amplification,
                                   worst.amplification);
  if (worst.attempt_groups > 1) text.amplification += "; " + budget_note("retries", policy.retry.budget);
  if (worst.hedges_per_group > 0) text.amplification += "; " + budget_note("hedges", policy.hedge.budget);
  return text;
}

}  // namespace recourse::host
