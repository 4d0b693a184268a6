// recourse.executor:options — how an executor is assembled (ExecutorOptions) and what one call
// may ask for (CallOptions). Everything is injectable; defaults are real time, a per-executor
// PRNG and the built-in policy for every key.
module;
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

export module recourse.executor:options;

import recourse.plugin;
import :registry;

export namespace recourse {

// What to do when a policy, classifier or budget a call needs does not exist.
enum class MissingMode : std::uint8_t {
  deny,      // refuse: the call (policy, classifier) or the retry (budget) does not happen
  fallback,  // use the default (built-in policy, default classifier, unlimited budget)
  allow,     // proceed unprotected (single attempt; `never` classifier; retries allowed)
};

template <>
struct EnumNames<MissingMode> {
  static constexpr std::string_view what = "missing mode";
  static constexpr std::array<std::string_view, 3> names{"deny", "fallback", "allow"};
};

struct MissingModes {
  MissingMode policy = MissingMode::deny;
  MissingMode classifier = MissingMode::fallback;
  MissingMode budget = MissingMode::deny;
};

struct ExecutorOptions {
  // What the components below need alive, such as the plugin libraries their code is in: held
  // by the generation built from these options and released after all of them (declared
  // first, so destroyed last).
  std::shared_ptr<const void> resources;
  std::shared_ptr<PolicyProvider> provider;  // null: the built-in policy for every key
  // The executor adds its built-ins (classifiers always and never, backoffs exponential and
  // constant, budget unlimited) to whatever these hold.
  ComponentRegistry<Classifier> classifiers{"classifier"};
  ComponentRegistry<BackoffStrategy> backoffs{"backoff strategy"};
  ComponentRegistry<Budget> budgets{"budget"};
  ComponentRegistry<HedgeTrigger> triggers{"hedge trigger"};
  std::vector<std::shared_ptr<Observer>> observers;
  std::shared_ptr<Clock> clock;          // null: SystemClock
  std::shared_ptr<RandomSource> random;  // null: a SplitMixRandom of this executor's own
  MissingModes missing;
  std::size_t max_keys = 1000;  // distinct keys before new ones get the default policy
  std::string default_classifier = "always";
  // Threads hedges run on (started on the first hedge), and how many hedges may wait for one;
  // a hedge finding the queue full is not started (hedge_pool_full).
  std::size_t hedge_threads = 8;
  std::size_t hedge_queue = 256;
  // An attempt still running this long after its deadline's stop request is marked
  // deadline_overrun (it ignored its stop token). Generous enough for a real clock's wake-up
  // latency; virtual time has none.
  Duration deadline_overrun_grace = std::chrono::milliseconds(10);
  // Told about keys past max_keys (once per key) when there is no observer to tell; null: the
  // executor counts them only (Executor::keys_over_limit()).
  std::shared_ptr<Logger> logger;
  // Where the executor counts observer errors and calls past max_keys; null: its own. Only the
  // first generation's is used (the counters carry over).
  std::shared_ptr<ExecutorStats> stats;
  // False sends every call through the full loop, never running attempt 0 inline (DESIGN §4's
  // fast paths). Calls behave and are told alike either way: this is for comparing the paths
  // (the tests do) and for ruling them out when something looks wrong.
  bool inline_first_attempt = true;
};

struct CallOptions {
  std::stop_token stop;          // the caller's cancellation
  Timeline* timeline = nullptr;  // capture this call's timeline here
  bool idempotent = false;       // tell classifiers the operation may be repeated safely
};

}  // namespace recourse
