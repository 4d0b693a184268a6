// Soak: a million calls by default (CTest's soak runs ten million) on two threads through one
// executor — hedging, retry and hedge budgets, consecutive and failure-rate breakers, observers,
// and injected faults (failing ops, throwing ops, ops that ignore their stop token for a while,
// a throwing classifier, a throwing budget, a throwing observer) — in virtual time, so it is
// fast and never sleeps.
// docs/reliability.md ("Soak") has the last result and the command.
//
//   recourse_soak [--calls N] [--threads T] [--sample-every N]
//
// Checked, each violation printed and the exit status 1:
//   - no call makes more attempts than its policy allows (max_attempts × (1 + max_hedges));
//   - every call has exactly one outcome: a value (the one its op returned) or a Failure, and
//     no attempt of it runs after try_run returned;
//   - observers see one start and exactly one end (success or failure) per call; every
//     contained observer throw is counted by the executor;
//   - every granted budget token is released exactly once (acquires == releases);
//   - each breaker opened during the faults and is closed once they stop;
//   - RSS, open descriptors and threads, sampled through the run, are flat after warm-up.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <expected>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

import recourse.core;

namespace {

// ASan's quarantine and TSan's allocator keep freed memory, so RSS says nothing about leaks
// there (ASan's leak checker does that job); descriptors and threads are still checked.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool rss_meaningful = false;
#else
constexpr bool rss_meaningful = true;
#endif
#else
constexpr bool rss_meaningful = true;
#endif

using namespace std::chrono_literals;
using recourse::Attempt;
using recourse::Duration;

// ---- what went wrong --------------------------------------------------------------------

std::mutex violations_mutex;
std::vector<std::string> violations;

void violation(std::string what) {
  std::lock_guard lock(violations_mutex);
  if (violations.size() < 50) violations.push_back(std::move(what));
  else if (violations.size() == 50) violations.push_back("(more violations not shown)");
}

// ---- deterministic fault draws ------------------------------------------------------------

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// ---- components with counters ------------------------------------------------------------

// Grants unless `deny_every` says otherwise; counts grants and releases per token.
class CountingBudget : public recourse::Budget {
 public:
  explicit CountingBudget(int deny_every, int throw_every = 0) : deny_every_(deny_every), throw_every_(throw_every) {}
  recourse::BudgetDecision acquire(const recourse::BudgetRequest&) override {
    const std::uint64_t n = asked.fetch_add(1) + 1;
    if (throw_every_ > 0 && n % static_cast<std::uint64_t>(throw_every_) == 0) {
      thrown.fetch_add(1);
      throw std::runtime_error("budget backend unavailable");
    }
    if (deny_every_ > 0 && n % static_cast<std::uint64_t>(deny_every_) == 0) return {false, recourse::reason::budget_denied, 0};
    granted.fetch_add(1);
    return {true, recourse::reason::allowed, n};
  }
  void release(const recourse::BudgetRequest&, std::uint64_t token) noexcept override {
    if (token == 0) violation("a budget release without a granted token");
    released.fetch_add(1);
  }
  std::atomic<std::uint64_t> asked{0}, granted{0}, released{0}, thrown{0};

 private:
  const int deny_every_;
  const int throw_every_;
};

// Success for a value, retryable otherwise; throws on every `throw_every`-th failed attempt.
class FlakyClassifier : public recourse::Classifier {
 public:
  explicit FlakyClassifier(int throw_every) : throw_every_(throw_every) {}
  recourse::Outcome classify(const recourse::AttemptView& a) const override {
    if (a.has_value) return {recourse::OutcomeKind::success, recourse::reason::success, std::nullopt};
    if (a.cancelled) return {recourse::OutcomeKind::abort, recourse::reason::cancelled, std::nullopt};
    if (a.deadline_exceeded)
      return {recourse::OutcomeKind::retryable, recourse::reason::deadline_exceeded, std::nullopt};
    if (failures_.fetch_add(1) % static_cast<std::uint64_t>(throw_every_) == 0) {
      thrown.fetch_add(1);
      throw std::logic_error("classifier bug");
    }
    return {recourse::OutcomeKind::retryable, recourse::reason::retryable_error, std::nullopt};
  }
  mutable std::atomic<std::uint64_t> thrown{0};

 private:
  const int throw_every_;
  mutable std::atomic<std::uint64_t> failures_{0};
};

// One start and one end per call; breaker transitions to open, per key.
class CountingObserver : public recourse::Observer {
 public:
  void on_start(const recourse::CallInfo&) override { starts.fetch_add(1); }
  void on_success(const recourse::CallInfo&, const recourse::Timeline&) override { successes.fetch_add(1); }
  void on_failure(const recourse::CallInfo&, const recourse::Timeline&) override { failures.fetch_add(1); }
  void on_circuit_transition(const recourse::CallInfo& call, recourse::CircuitTransition t) override {
    if (t.to != recourse::CircuitState::open) return;
    std::lock_guard lock(mutex_);
    opened_.emplace(call.key);  // a set: the soak itself must not grow with the run
  }
  bool opened(std::string_view key) const {
    std::lock_guard lock(mutex_);
    return opened_.contains(key);
  }
  std::atomic<std::uint64_t> starts{0}, successes{0}, failures{0};

 private:
  mutable std::mutex mutex_;
  std::set<std::string, std::less<>> opened_;
};

// Throws from callbacks now and then — a std::exception, or something that is not one.
class ThrowingObserver : public recourse::Observer {
 public:
  void on_attempt(const recourse::CallInfo&, const recourse::AttemptRecord&) override { maybe_throw(); }
  void on_success(const recourse::CallInfo&, const recourse::Timeline&) override { maybe_throw(); }
  void on_failure(const recourse::CallInfo&, const recourse::Timeline&) override { maybe_throw(); }
  std::atomic<std::uint64_t> thrown{0};

 private:
  void maybe_throw() {
    const std::uint64_t n = seen_.fetch_add(1);
    if (n % 101 == 0) {
      thrown.fetch_add(1);
      throw std::runtime_error("observer bug");
    }
    if (n % 997 == 0) {
      thrown.fetch_add(1);
      throw 42;  // not a std::exception
    }
  }
  std::atomic<std::uint64_t> seen_{0};
};

// ---- the keys and their policies --------------------------------------------------------

void set(recourse::PolicyPatch& patch, std::string_view path, recourse::FieldValue value) {
  const recourse::FieldInfo* field = recourse::find_policy_field(path);
  if (field == nullptr) throw std::logic_error("no policy field " + std::string(path));
  patch.entries.push_back({field, std::move(value), {"soak", 1, 1}});
}

struct KeySpec {
  std::string_view key;
  int bound;          // attempts a call may make: max_attempts × (1 + max_hedges)
  bool breaker;       // its breaker must open during the faults and close after them
};

constexpr std::array<KeySpec, 4> keys{{
    {"soak.Retry", 4, true},      // retries with a budget, a consecutive breaker
    {"soak.Hedge", 2 * 3, false}, // two hedges per group, hedge and retry budgets
    {"soak.Breaker", 2, true},    // a failure-rate breaker, a throwing classifier
    {"soak.Deadline", 5, false},  // per-attempt and overall timeouts, a throwing budget
}};

recourse::PolicyTable policies() {
  recourse::PolicyTable table;
  table.defaults.where = {"soak", 1, 1};
  auto& retry = table.exact["soak.Retry"];
  set(retry, "retry.max_attempts", 4);
  set(retry, "retry.initial_backoff", Duration(1ms));
  set(retry, "retry.max_backoff", Duration(20ms));
  set(retry, "retry.jitter", recourse::Jitter::full);
  set(retry, "retry.per_attempt_timeout", Duration(30ms));
  set(retry, "retry.budget.name", std::string("retries"));
  set(retry, "circuit.enabled", true);
  set(retry, "circuit.threshold", 5);
  set(retry, "circuit.cooldown", Duration(200ms));
  set(retry, "circuit.half_open_probes", 2);

  auto& hedge = table.exact["soak.Hedge"];
  set(hedge, "retry.max_attempts", 2);
  set(hedge, "retry.per_attempt_timeout", Duration(50ms));
  set(hedge, "retry.budget.name", std::string("retries"));
  set(hedge, "hedge.enabled", true);
  set(hedge, "hedge.max_hedges", 2);
  set(hedge, "hedge.delay", Duration(10ms));
  set(hedge, "hedge.budget.name", std::string("hedges"));

  auto& breaker = table.exact["soak.Breaker"];
  set(breaker, "retry.max_attempts", 2);
  set(breaker, "retry.classifier", std::string("flaky"));
  set(breaker, "circuit.enabled", true);
  set(breaker, "circuit.kind", recourse::CircuitKind::failure_rate);
  set(breaker, "circuit.window_size", 20);
  set(breaker, "circuit.minimum_calls", 10);
  set(breaker, "circuit.failure_rate_threshold", 50.0);
  set(breaker, "circuit.cooldown", Duration(300ms));

  auto& deadline = table.exact["soak.Deadline"];
  set(deadline, "retry.max_attempts", 5);
  set(deadline, "retry.initial_backoff", Duration(2ms));
  set(deadline, "retry.per_attempt_timeout", Duration(15ms));
  set(deadline, "retry.overall_timeout", Duration(40ms));
  set(deadline, "retry.budget.name", std::string("throwing"));
  return table;
}

// ---- what an attempt does -----------------------------------------------------------------

// Calls in [fault_end, calls) run fault-free, so the breakers can close. Within the faults,
// every 50 000 calls begin an outage of 2 000 during which every attempt fails.
struct Phases {
  std::uint64_t calls;
  std::uint64_t fault_end;
  bool faulty(std::uint64_t call) const { return call < fault_end; }
  bool outage(std::uint64_t call) const { return faulty(call) && call % 50'000 < 2'000; }
};

struct Thrown : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The op of call `call` on attempt `a`: its value is the call number, so a value that comes back
// to the wrong call is seen.
std::uint64_t attempt(recourse::VirtualClock& clock, const Phases& phases, std::uint64_t call, const Attempt& a,
                      std::error_code& failed) {
  const std::uint64_t draw = mix(call * 64 + static_cast<std::uint64_t>(a.index));
  const auto take = Duration(std::chrono::microseconds(500 + draw % 8'000));
  if (!phases.faulty(call)) {
    clock.sleep_until(clock.now() + take, a.stop);
    return call;
  }
  if (phases.outage(call)) {
    clock.sleep_until(clock.now() + take, a.stop);
    failed = std::make_error_code(std::errc::connection_refused);
    return 0;
  }
  switch ((draw >> 20) % 20) {
    case 0: case 1: case 2:  // fails
      clock.sleep_until(clock.now() + take, a.stop);
      failed = std::make_error_code(std::errc::io_error);
      return 0;
    case 3:  // throws a std::exception
      throw Thrown("dependency said no");
    case 4:  // throws something else
      throw 7;
    case 5: case 6:  // ignores its stop token for a while, then answers
      clock.sleep_until(clock.now() + 40ms, {});
      return call;
    case 7:  // slow, but honours its stop token
      if (!clock.sleep_until(clock.now() + 70ms, a.stop)) {
        failed = std::make_error_code(std::errc::operation_canceled);
        return 0;
      }
      return call;
    default:
      clock.sleep_until(clock.now() + take, a.stop);
      return call;
  }
}

// ---- process resources ------------------------------------------------------------------------

struct Sample {
  std::uint64_t calls = 0;
  double wall_s = 0;
  std::uint64_t rss_kib = 0;
  std::size_t fds = 0;
  std::size_t threads = 0;
};

std::size_t entries(const char* dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec))
    ++n;
  return n;
}

Sample sample(std::uint64_t calls, std::chrono::steady_clock::time_point began) {
  Sample s;
  s.calls = calls;
  s.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  s.rss_kib = resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) / 1024;
  s.fds = entries("/proc/self/fd") - 1;  // less the directory iterator's own descriptor
  s.threads = entries("/proc/self/task");
  return s;
}

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t calls = 1'000'000, sample_every = 50'000;
  int threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const auto value = number(argv[i + 1]);
    if (!value || *value == 0) {
      std::fprintf(stderr, "recourse_soak: %s needs a positive number\n", argv[i]);
      return 2;
    }
    if (flag == "--calls") calls = *value;
    else if (flag == "--threads") threads = static_cast<int>(*value);
    else if (flag == "--sample-every") sample_every = *value;
    else {
      std::fprintf(stderr, "usage: recourse_soak [--calls N] [--threads T] [--sample-every N]\n");
      return 2;
    }
  }
  const Phases phases{calls, calls - calls / 10};

  auto clock = std::make_shared<recourse::VirtualClock>();
  auto retries = std::make_shared<CountingBudget>(7);
  auto hedges = std::make_shared<CountingBudget>(5);
  auto throwing = std::make_shared<CountingBudget>(0, 13);
  auto classifier = std::make_shared<FlakyClassifier>(53);
  auto counter = std::make_shared<CountingObserver>();
  auto thrower = std::make_shared<ThrowingObserver>();

  recourse::ExecutorOptions options;
  options.provider = std::make_shared<recourse::StaticPolicyProvider>(policies());
  options.clock = clock;
  options.random = std::make_shared<recourse::SplitMixRandom>(1);
  options.budgets.add("retries", retries);
  options.budgets.add("hedges", hedges);
  options.budgets.add("throwing", throwing);
  options.classifiers.add("flaky", classifier);
  options.observers = {counter, thrower};
  options.hedge_threads = 3;
  auto executor = std::make_unique<recourse::Executor>(std::move(options));

  const auto began = std::chrono::steady_clock::now();
  std::vector<Sample> samples;
  std::mutex samples_mutex;
  std::atomic<std::uint64_t> next{0}, done{0}, succeeded{0}, failed_calls{0}, classifier_errors{0};
  const auto caller = [&] {
    const recourse::ClockWorkScope working(*clock);
    for (;;) {
      const std::uint64_t call = next.fetch_add(1);
      if (call >= calls) break;
      const KeySpec& spec = keys[call % keys.size()];
      // Shared with the op, so an attempt running after try_run returned is seen, not a crash.
      auto returned = std::make_shared<std::atomic<bool>>(false);
      auto attempts = std::make_shared<std::atomic<int>>(0);
      const auto result = executor->try_run(
          spec.key,
          [&clock, &phases, call, returned, attempts](const Attempt& a) -> std::expected<std::uint64_t, std::error_code> {
            attempts->fetch_add(1);
            if (returned->load()) violation("call " + std::to_string(call) + ": an attempt began after the call returned");
            std::error_code failed;
            const std::uint64_t value = attempt(*clock, phases, call, a, failed);
            if (returned->load()) violation("call " + std::to_string(call) + ": an attempt ran on after the call returned");
            if (failed) return std::unexpected(failed);
            return value;
          },
          {.idempotent = true});
      returned->store(true);
      if (attempts->load() > spec.bound)
        violation("call " + std::to_string(call) + " (" + std::string(spec.key) + "): " + std::to_string(attempts->load()) +
                  " attempts, bound " + std::to_string(spec.bound));
      if (result) {
        succeeded.fetch_add(1);
        if (*result != call) violation("call " + std::to_string(call) + " got call " + std::to_string(*result) + "'s value");
      } else {
        failed_calls.fetch_add(1);
        if (result.error().reason.empty()) violation("call " + std::to_string(call) + " failed without a reason");
        if (result.error().attempts > spec.bound) violation("call " + std::to_string(call) + ": Failure counts too many attempts");
        if (result.error().reason == recourse::reason::classifier_error) classifier_errors.fetch_add(1);
      }
      const std::uint64_t finished = done.fetch_add(1) + 1;
      // Not within the last calls: a caller that found no call left has already gone.
      if (finished % sample_every == 0 && finished + static_cast<std::uint64_t>(threads) <= calls) {
        const Sample s = sample(finished, began);
        std::lock_guard lock(samples_mutex);
        samples.push_back(s);
      }
    }
  };
  {
    std::vector<std::jthread> callers;
    for (int t = 0; t < threads; ++t) callers.emplace_back(caller);
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

  // ---- invariants ------------------------------------------------------------------------
  const auto expect = [](bool holds, const std::string& what) {
    if (!holds) violation(what);
  };
  expect(done.load() == calls, "calls done " + std::to_string(done.load()) + " of " + std::to_string(calls));
  expect(succeeded.load() + failed_calls.load() == calls, "one outcome per call");
  expect(counter->starts.load() == calls, "observed starts " + std::to_string(counter->starts.load()));
  expect(counter->successes.load() == succeeded.load(),
         "observed successes " + std::to_string(counter->successes.load()) + " vs " + std::to_string(succeeded.load()));
  expect(counter->failures.load() == failed_calls.load(),
         "observed failures " + std::to_string(counter->failures.load()) + " vs " + std::to_string(failed_calls.load()));
  expect(executor->observer_errors() == thrower->thrown.load(),
         "observer errors counted " + std::to_string(executor->observer_errors()) + ", thrown " +
             std::to_string(thrower->thrown.load()));
  for (const auto* budget : {retries.get(), hedges.get(), throwing.get()})
    expect(budget->granted.load() == budget->released.load(),
           "budget grants " + std::to_string(budget->granted.load()) + " != releases " + std::to_string(budget->released.load()));
  expect(retries->granted.load() > 0 && hedges->granted.load() > 0 && throwing->thrown.load() > 0,
         "every budget was asked (and the throwing one threw)");
  expect(classifier->thrown.load() > 0 && classifier_errors.load() == classifier->thrown.load(),
         "every classifier throw ends its call as classifier_error: " + std::to_string(classifier_errors.load()) + " of " +
             std::to_string(classifier->thrown.load()));
  for (const KeySpec& spec : keys) {
    if (!spec.breaker) continue;
    expect(counter->opened(spec.key), std::string(spec.key) + ": the breaker never opened during the faults");
    const auto state = executor->circuit_state(spec.key);
    expect(state == recourse::CircuitState::closed,
           std::string(spec.key) + ": the breaker is " + (state ? std::string(recourse::to_string(*state)) : "absent") +
               " after the faults stopped");
  }

  // Flat resources: after the first fifth of the run, descriptors and threads do not change
  // and RSS grows by at most 8 MiB + 10% (not checked under ASan or TSan: rss_meaningful).
  std::ranges::sort(samples, {}, &Sample::calls);
  std::printf("recourse_soak: %llu calls on %d threads in %.1f s wall (%.0f calls/s), %.0f s virtual\n",
              static_cast<unsigned long long>(calls), threads, wall_s, static_cast<double>(calls) / wall_s,
              std::chrono::duration<double>(clock->now().time_since_epoch()).count());
  std::printf("  succeeded %llu, failed %llu (classifier_error %llu); observer throws %llu contained\n",
              static_cast<unsigned long long>(succeeded.load()), static_cast<unsigned long long>(failed_calls.load()),
              static_cast<unsigned long long>(classifier_errors.load()),
              static_cast<unsigned long long>(thrower->thrown.load()));
  std::printf("  budgets: retries %llu granted / %llu released, hedges %llu / %llu, throwing %llu / %llu (%llu throws)\n",
              static_cast<unsigned long long>(retries->granted.load()), static_cast<unsigned long long>(retries->released.load()),
              static_cast<unsigned long long>(hedges->granted.load()), static_cast<unsigned long long>(hedges->released.load()),
              static_cast<unsigned long long>(throwing->granted.load()),
              static_cast<unsigned long long>(throwing->released.load()),
              static_cast<unsigned long long>(throwing->thrown.load()));
  std::printf("  %10s %8s %10s %5s %8s\n", "calls", "wall s", "RSS KiB", "fds", "threads");
  for (const Sample& s : samples)
    std::printf("  %10llu %8.1f %10llu %5zu %8zu\n", static_cast<unsigned long long>(s.calls), s.wall_s,
                static_cast<unsigned long long>(s.rss_kib), s.fds, s.threads);
  const auto warm = std::ranges::find_if(samples, [&](const Sample& s) { return s.calls >= calls / 5; });
  if (warm != samples.end()) {
    for (auto it = warm; it != samples.end(); ++it) {
      expect(it->fds == warm->fds, "open descriptors changed after warm-up: " + std::to_string(warm->fds) + " -> " +
                                       std::to_string(it->fds) + " at call " + std::to_string(it->calls));
      expect(it->threads == warm->threads, "threads changed after warm-up: " + std::to_string(warm->threads) + " -> " +
                                               std::to_string(it->threads) + " at call " + std::to_string(it->calls));
      expect(!rss_meaningful || it->rss_kib <= warm->rss_kib + 8 * 1024 + warm->rss_kib / 10,
             "RSS grew after warm-up: " + std::to_string(warm->rss_kib) + " KiB -> " + std::to_string(it->rss_kib) +
                 " KiB at call " + std::to_string(it->calls));
    }
  } else {
    violation("no resource sample after warm-up (use --sample-every below --calls / 5)");
  }

  executor.reset();
  if (violations.empty()) {
    std::printf("recourse_soak: every invariant held\n");
    return 0;
  }
  for (const std::string& v : violations) std::printf("VIOLATION: %s\n", v.c_str());
  return 1;
}
