// recourse.executor:jittered_backoff — a policy's whole delay before a retry: its strategy's
// base delay, capped at max_backoff, then jittered (Envoy's JitteredBackOffStrategy). Applied
// once, when a policy is compiled, around whatever strategy the policy names — built-in or
// plugin — so a strategy says only how delays grow, and the jitter modes exist once.
module;
#include "recourse/export.h"

export module recourse.executor:jittered_backoff;

import recourse.plugin;

namespace recourse::detail {

class RECOURSE_API JitteredBackoff final : public BackoffStrategy {
 public:
  JitteredBackoff(const BackoffStrategy& base, Jitter jitter, RandomSource& random) noexcept
      : base_(base), jitter_(jitter), random_(random) {}
  // Never negative, never above max_backoff. Whatever the base strategy throws propagates.
  Duration delay(const BackoffInput& input) const override;

 private:
  const BackoffStrategy& base_;
  Jitter jitter_;
  RandomSource& random_;
};

}  // namespace recourse::detail
