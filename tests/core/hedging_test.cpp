// Hedging in the executor: what scenarios cannot show — the value that wins, budgets released
// exactly once, the pool when ops ignore their stop token, threads gone with the executor,
// and a many-thread, many-key run with hedging and circuits on (the TSan preset runs it too).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "executor_harness.hpp"

import recourse.core;

namespace {

using namespace std::chrono_literals;
using harness::Harness;
using harness::set;
using recourse::Attempt;
using recourse::Duration;

std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

void hedged(Harness& h, int max_hedges, Duration delay) {
  set(h.table.defaults, "hedge.enabled", true);
  set(h.table.defaults, "hedge.max_hedges", max_hedges);
  set(h.table.defaults, "hedge.delay", delay);
}

// Counts what observers hear: one start and one end per call, hedges spawned, cancelled and
// not started (with why).
class HedgeCounter : public recourse::Observer {
 public:
  std::atomic<int> starts{0}, successes{0}, failures{0}, spawned{0}, cancelled{0}, not_started{0};
  void on_start(const recourse::CallInfo&) override { ++starts; }
  void on_success(const recourse::CallInfo&, const recourse::Timeline&) override { ++successes; }
  void on_failure(const recourse::CallInfo&, const recourse::Timeline&) override { ++failures; }
  void on_hedge(const recourse::CallInfo&, const recourse::HedgeEvent& e) override {
    switch (e.kind) {
      case recourse::HedgeEventKind::spawned: ++spawned; break;
      case recourse::HedgeEventKind::cancelled: ++cancelled; break;
      case recourse::HedgeEventKind::not_started:
        ++not_started;
        if (e.reason != recourse::reason::hedge_pool_full) ++unexpected_reasons;
        break;
    }
  }
  std::atomic<int> unexpected_reasons{0};
};

}  // namespace

BOOST_AUTO_TEST_SUITE(hedging)

BOOST_AUTO_TEST_CASE(the_winners_value_is_returned_and_the_timeline_says_who_won) {
  Harness h;
  hedged(h, 2, 50ms);
  auto executor = h.make();
  const recourse::ClockWorkScope working(*h.virtual_clock);
  recourse::Timeline timeline;
  const auto result = executor->try_run(
      "svc.Get",
      [&](const Attempt& a) {
        // The primary takes 500ms, hedge 1 300ms (ends at 350), hedge 2 100ms (ends at 200).
        const Duration take = a.hedge_index == 0 ? 500ms : a.hedge_index == 1 ? 300ms : 100ms;
        h.virtual_clock->sleep_until(h.virtual_clock->now() + take, a.stop);
        return a.hedge_index * 10;
      },
      {.timeline = &timeline});
  BOOST_REQUIRE(result.has_value());
  BOOST_TEST(*result == 20);
  BOOST_TEST(h.ms() == 200);
  BOOST_REQUIRE(timeline.attempts.size() == 3u);
  BOOST_TEST(timeline.attempts[0].hedge_index == 2);
  BOOST_TEST(timeline.attempts[0].reason == recourse::reason::success);
  for (int i : {1, 2}) {
    BOOST_TEST(timeline.attempts[i].reason == recourse::reason::hedge_cancelled);
    BOOST_TEST(harness::ms(timeline.attempts[i].end.time_since_epoch()) == 200);
  }
}

BOOST_AUTO_TEST_CASE(hedge_budget_reservations_are_released_once_each) {
  Harness h;
  hedged(h, 3, 10ms);
  set(h.table.defaults, "hedge.budget.name", std::string("hedges"));
  auto budget = std::make_shared<harness::CountingBudget>();
  h.options.budgets.add("hedges", budget);
  auto executor = h.make();
  const recourse::ClockWorkScope working(*h.virtual_clock);
  for (int call = 0; call < 20; ++call) {
    budget->allow = call % 3 != 0;
    const auto result = executor->try_run("svc.Get", [&](const Attempt& a) {
      h.virtual_clock->sleep_until(h.virtual_clock->now() + 25ms, a.stop);
      return a.index;
    });
    BOOST_TEST(result.has_value());
  }
  BOOST_TEST(budget->acquired.load() > 0);
  BOOST_TEST(budget->acquired.load() == budget->released.load());
}

BOOST_AUTO_TEST_CASE(a_latency_trigger_learns_from_successes_only) {
  Harness h;
  set(h.table.defaults, "hedge.enabled", true);
  set(h.table.defaults, "hedge.max_hedges", 1);
  set(h.table.defaults, "hedge.trigger", recourse::HedgeTriggerKind::p50);
  set(h.table.defaults, "hedge.min_samples", 3);
  set(h.table.defaults, "retry.max_attempts", 1);
  auto executor = h.make();
  const recourse::ClockWorkScope working(*h.virtual_clock);
  auto call = [&](Duration take, bool succeed) {
    recourse::Timeline timeline;
    (void)executor->try_run(
        "svc.Get",
        [&](const Attempt& a) -> std::error_code {
          h.virtual_clock->sleep_until(h.virtual_clock->now() + take, a.stop);
          return succeed ? std::error_code{} : std::make_error_code(std::errc::io_error);
        },
        {.timeline = &timeline});
    return timeline;
  };
  // Failures teach it nothing: three fast failures, then a slow call spawns no hedge.
  for (int i = 0; i < 3; ++i) call(1ms, false);
  BOOST_TEST(call(100ms, true).attempts.size() == 1u);  // one sample now (100ms)
  call(20ms, true);
  call(20ms, true);  // samples 100, 20, 20: p50 = 20ms
  const recourse::Timeline slow = call(100ms, true);
  BOOST_REQUIRE(slow.attempts.size() == 2u);
  const auto& hedge = slow.attempts[0].is_hedge ? slow.attempts[0] : slow.attempts[1];
  BOOST_TEST(harness::ms(hedge.start - slow.start) == 20);
}

BOOST_AUTO_TEST_CASE(ops_that_ignore_their_stop_token_cannot_deadlock_a_one_thread_pool) {
  Harness h;
  hedged(h, 3, 10ms);
  h.options.hedge_threads = 1;
  h.options.hedge_queue = 2;
  auto counter = std::make_shared<HedgeCounter>();
  h.options.observers.push_back(counter);
  auto executor = h.make();
  constexpr int threads = 6, calls = 10;
  std::atomic<int> succeeded{0};
  {
    std::vector<std::jthread> callers;
    for (int t = 0; t < threads; ++t) {
      callers.emplace_back([&] {
        const recourse::ClockWorkScope working(*h.virtual_clock);
        for (int c = 0; c < calls; ++c) {
          const auto result = executor->try_run("svc.Get", [&](const Attempt&) {
            // Blocks 100ms whatever its stop token says.
            h.virtual_clock->sleep_until(h.virtual_clock->now() + 100ms, {});
            return 1;
          });
          if (result) ++succeeded;
        }
      });
    }
  }
  BOOST_TEST(succeeded.load() == threads * calls);
  BOOST_TEST(counter->starts.load() == threads * calls);
  BOOST_TEST(counter->not_started.load() > 0);  // the queue of 2 overflowed
  BOOST_TEST(counter->unexpected_reasons.load() == 0);
  BOOST_TEST(counter->spawned.load() > 0);
}

// A one-thread pool: caller A's hedge (10–15 ms) wins and stops A's primary; caller B's hedge,
// due at 11 ms, waited in the queue. The pool thread takes B's hedge over at 15 ms, but starts it
// only once A, woken by its hedge's win, has come to wait again (here: returned and left), so
// what the two do at 15 ms happens in one order, not in the one the OS picks.
BOOST_AUTO_TEST_CASE(a_queued_hedge_starts_after_the_caller_its_thread_woke) {
  Harness h;
  hedged(h, 1, 10ms);
  h.options.hedge_threads = 1;
  auto executor = h.make();
  std::mutex mutex;
  std::vector<std::string> events;  // what happened, at which virtual ms
  const auto record = [&](const std::string& what) {
    const std::lock_guard lock(mutex);
    events.push_back(what + " at " + std::to_string(h.ms()));
  };
  const auto caller = [&](std::string name, Duration offset) {
    h.virtual_clock->enter(true);  // the hold taken for it below
    h.virtual_clock->sleep_until(h.virtual_clock->now() + offset, {});
    const auto result = executor->try_run("svc.Get", [&](const Attempt& a) {
      if (a.is_hedge) record(name + " hedge starts");
      h.virtual_clock->sleep_until(h.virtual_clock->now() + (a.is_hedge ? 5ms : 30ms), a.stop);
      return a.hedge_index;
    });
    // No Boost.Test macro off the test's thread: what the call returned goes into the record.
    record(name + (result.has_value() && *result == 1 ? " returns the hedge's value" : " fails"));
    h.virtual_clock->leave();
  };
  h.virtual_clock->hold();
  h.virtual_clock->hold();  // no time passes before both callers are in
  {
    std::jthread a([&] { caller("A", 0ms); });
    std::jthread b([&] { caller("B", 1ms); });
  }
  const std::vector<std::string> expected{"A hedge starts at 10", "A returns the hedge's value at 15",
                                          "B hedge starts at 15", "B returns the hedge's value at 20"};
  BOOST_TEST(events == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_pool_thread_outlives_its_executor) {
  const std::size_t before = thread_count();
  {
    Harness h;
    hedged(h, 3, 10ms);
    h.options.hedge_threads = 4;
    auto executor = h.make();
    const recourse::ClockWorkScope working(*h.virtual_clock);
    for (int i = 0; i < 5; ++i) {
      (void)executor->try_run("svc.Get", [&](const Attempt& a) {
        h.virtual_clock->sleep_until(h.virtual_clock->now() + 50ms, a.stop);
        return 1;
      });
    }
    BOOST_TEST(thread_count() == before + 4);  // the pool started on the first hedge
  }
  BOOST_TEST(thread_count() == before);
}

// Many threads and keys, random latencies and outcomes, hedging and circuits on. Invariants:
// no call makes more attempts than its policy allows, every call has exactly one outcome, every
// budget reservation is released, and no probe permit leaks (each breaker closes again).
BOOST_AUTO_TEST_CASE(many_threads_many_keys_hedges_and_circuits_keep_their_invariants) {
  Harness h;
  hedged(h, 2, 10ms);
  set(h.table.defaults, "retry.max_attempts", 3);
  set(h.table.defaults, "retry.initial_backoff", Duration(5ms));
  set(h.table.defaults, "retry.per_attempt_timeout", Duration(80ms));
  set(h.table.defaults, "hedge.budget.name", std::string("hedges"));
  set(h.table.defaults, "circuit.enabled", true);
  set(h.table.defaults, "circuit.threshold", 4);
  set(h.table.defaults, "circuit.cooldown", Duration(200ms));
  set(h.table.defaults, "circuit.half_open_probes", 2);
  auto budget = std::make_shared<harness::CountingBudget>();
  h.options.budgets.add("hedges", budget);
  auto counter = std::make_shared<HedgeCounter>();
  h.options.observers.push_back(counter);
  h.options.hedge_threads = 3;
  auto executor = h.make();
  constexpr int threads = 8, calls = 60, keys = 6, bound = 3 * (1 + 2);
  std::atomic<int> over_bound{0}, refused{0}, calls_done{0};
  const std::size_t before = thread_count();
  {
    std::vector<std::jthread> callers;
    for (int t = 0; t < threads; ++t) {
      callers.emplace_back([&, t] {
        const recourse::ClockWorkScope working(*h.virtual_clock);
        std::mt19937 random(static_cast<unsigned>(t));
        for (int c = 0; c < calls; ++c) {
          const std::string key = "svc.K" + std::to_string((t + c) % keys);
          std::atomic<int> attempts{0};
          std::mutex draw;
          const auto result = executor->try_run(key, [&](const Attempt& a) -> std::error_code {
            ++attempts;
            Duration take;
            int roll;
            {
              std::lock_guard lock(draw);
              take = std::chrono::milliseconds(random() % 60);
              roll = static_cast<int>(random() % 10);
            }
            if (!h.virtual_clock->sleep_until(h.virtual_clock->now() + take, a.stop))
              return std::make_error_code(std::errc::operation_canceled);
            return roll < 4 ? std::make_error_code(std::errc::io_error) : std::error_code{};
          });
          if (attempts.load() > bound) ++over_bound;
          if (!result && (result.error().reason == recourse::reason::circuit_open ||
                          result.error().reason == recourse::reason::circuit_half_open_probe_limit))
            ++refused;
          ++calls_done;
          budget->allow = c % 4 != 0;
        }
      });
    }
  }
  BOOST_TEST(calls_done.load() == threads * calls);
  BOOST_TEST(over_bound.load() == 0);
  BOOST_TEST(counter->starts.load() == threads * calls);
  BOOST_TEST(counter->successes.load() + counter->failures.load() == threads * calls);
  BOOST_TEST(counter->spawned.load() > 0);
  BOOST_TEST(counter->cancelled.load() > 0);
  BOOST_TEST(budget->acquired.load() == budget->released.load());
  BOOST_TEST(thread_count() == before + 3);  // the callers are gone; the pool stays with its executor

  // No permit leaked: after a cooldown every key's breaker admits probes and closes.
  const recourse::ClockWorkScope working(*h.virtual_clock);
  for (int k = 0; k < keys; ++k) {
    const std::string key = "svc.K" + std::to_string(k);
    h.virtual_clock->sleep_until(h.virtual_clock->now() + 250ms, {});
    for (int probe = 0; probe < 3 && executor->circuit_state(key) != recourse::CircuitState::closed; ++probe) {
      const auto result = executor->try_run(key, [](const Attempt&) { return 1; });
      BOOST_TEST(result.has_value(), key << ": " << (result ? "" : result.error().reason));
    }
    BOOST_TEST((executor->circuit_state(key) == recourse::CircuitState::closed), key);
  }
}

BOOST_AUTO_TEST_SUITE_END()
