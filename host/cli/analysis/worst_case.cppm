// recourse.host.analysis:worst_case — the most one call under a policy can cost, from the
// policy alone (docs/cli.md gives the formulas):
//
//   attempts       retry.max_attempts × (1 + hedge.max_hedges when hedging is on)
//   total time     the smaller of retry.overall_timeout (when set) and, when a per-attempt
//                  timeout is set, attempts_time + waits_time:
//                    attempts_time = max_attempts × (per_attempt_timeout + max_hedges × D)
//                    D             = hedge.delay for a fixed trigger; for a latency
//                                    percentile, max(hedge.delay, per_attempt_timeout), since
//                                    no observed attempt outlasts its timeout
//                    waits_time    = (max_attempts − 1) × max(max_backoff, max_retry_after)
//                  unbounded when neither timeout is set
//   amplification  the attempts that can reach the dependency for one call: `attempts`
//
// A classifier may end a call sooner; the policy cannot promise it will.
module;
#include <optional>
#include <string>

export module recourse.host.analysis:worst_case;

export import recourse.core;

export namespace recourse::host {

enum class TimeBound {
  overall_timeout,     // retry.overall_timeout ends the call first
  attempts_and_waits,  // every attempt times out and every wait is as long as allowed
  unbounded,           // no timeout: an attempt may hang forever
};

struct WorstCase {
  int attempts = 1;          // per call, hedges included
  int attempt_groups = 1;    // retry.max_attempts: the primary attempts
  int hedges_per_group = 0;  // 0 when hedging is off
  std::optional<Duration> total_time;  // nothing when unbounded
  TimeBound bound = TimeBound::unbounded;
  // attempts_time + waits_time, when a per-attempt timeout is set; saturates, never overflows.
  std::optional<Duration> attempts_time;
  std::optional<Duration> waits_time;
  std::optional<Duration> attempts_and_waits;  // their sum
  bool waits_from_retry_after = false;  // the wait per retry is max_retry_after, not max_backoff
  int amplification = 1;                // attempts reaching the dependency per call
};

WorstCase worst_case(const Policy& policy);

// The worst case in words, with the arithmetic spelled out, for `explain`:
//   attempts       "8 = 4 attempts × (1 + 1 hedge)"
//   total_time     "5s: retry.overall_timeout ends the call first (…)", "unbounded: …"
//   amplification  "8x: up to 8 requests reach the dependency per call; …budget notes"
struct WorstCaseText {
  std::string attempts;
  std::string total_time;
  std::string amplification;
};

WorstCaseText describe(const WorstCase& worst, const Policy& policy);

}  // namespace recourse::host
