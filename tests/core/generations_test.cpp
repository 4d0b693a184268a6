// Executor::replace — generations: a call keeps the generation it began on; a generation is
// destroyed once, after its last call; breakers, latency samples, key slots and handles carry
// over; observers hear of the change and a dropped observer is flushed after its last call.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "executor_harness.hpp"

using namespace std::chrono_literals;
using recourse::CircuitState;

namespace {

// Counts what a generation does to it: events, config events, flushes, and its destruction.
struct GenerationProbe : recourse::Observer {
  std::atomic<int> starts{0}, ends{0}, flushes{0}, configs{0};
  std::atomic<bool>* destroyed = nullptr;
  std::atomic<int>* flushed = nullptr;
  recourse::ConfigEvent last_config;
  void on_start(const recourse::CallInfo&) override { ++starts; }
  void on_success(const recourse::CallInfo&, const recourse::Timeline&) override { ++ends; }
  void on_failure(const recourse::CallInfo&, const recourse::Timeline&) override { ++ends; }
  void on_config(const recourse::ConfigEvent& event) override {
    ++configs;
    last_config = event;
  }
  void flush() noexcept override {
    ++flushes;
    if (flushed != nullptr) ++*flushed;
  }
  ~GenerationProbe() override {
    if (destroyed != nullptr) *destroyed = true;
  }
};

// A fresh options object over `table`, sharing the harness's clock.
recourse::ExecutorOptions options_for(const harness::Harness& h, const recourse::PolicyTable& table) {
  recourse::ExecutorOptions options;
  options.provider = std::make_shared<recourse::StaticPolicyProvider>(table);
  options.clock = h.virtual_clock;
  options.random = std::make_shared<recourse::FixedRandom>(0.5);
  return options;
}

const auto down = [](const recourse::Attempt&) -> int { throw std::runtime_error("down"); };
const auto ok = [](const recourse::Attempt&) { return 1; };

}  // namespace

BOOST_AUTO_TEST_SUITE(generations)

BOOST_AUTO_TEST_CASE(calls_after_a_replace_run_under_the_new_policy) {
  harness::Harness h;
  harness::set(h.table.defaults, "retry.max_attempts", 3);
  harness::set(h.table.defaults, "retry.initial_backoff", recourse::Duration(0ms));
  auto ex = h.make();
  BOOST_TEST(ex->generation() == 1u);
  BOOST_TEST(ex->try_run("a.B", down).error().attempts == 3);
  const auto handle = *recourse::KeyHandle::intern("a.B");  // interned, and compiled, before
  BOOST_TEST(ex->try_run(handle, down).error().attempts == 3);

  recourse::PolicyTable next;
  next.defaults.where = {"test", 1, 1};
  harness::set(next.defaults, "retry.max_attempts", 5);
  harness::set(next.defaults, "retry.initial_backoff", recourse::Duration(0ms));
  const recourse::Replacement r = ex->replace(options_for(h, next));
  BOOST_TEST(r.generation == 2u);
  BOOST_TEST(ex->generation() == 2u);
  BOOST_TEST(ex->try_run("a.B", down).error().attempts == 5);
  BOOST_TEST(ex->try_run(handle, down).error().attempts == 5);
}

BOOST_AUTO_TEST_CASE(a_call_keeps_the_generation_it_began_on_and_it_is_destroyed_after_the_call) {
  harness::Harness h;
  harness::set(h.table.defaults, "retry.max_attempts", 4);
  harness::set(h.table.defaults, "retry.initial_backoff", recourse::Duration(0ms));
  std::atomic<bool> first_destroyed{false};
  std::atomic<int> flushed{0};
  auto probe = std::make_shared<GenerationProbe>();
  probe->destroyed = &first_destroyed;
  probe->flushed = &flushed;
  h.options.observers.push_back(probe);
  auto ex = h.make();
  std::weak_ptr<GenerationProbe> watch = probe;
  probe.reset();  // the first generation owns it now

  recourse::PolicyTable next;
  next.defaults.where = {"test", 1, 1};
  harness::set(next.defaults, "retry.max_attempts", 1);
  int attempts_seen = 0;
  bool alive_during_call = false;
  const auto result = ex->try_run("a.B", [&](const recourse::Attempt& a) -> int {
    ++attempts_seen;
    if (a.index == 0) (void)ex->replace(options_for(h, next));  // mid-call: no observer in it
    alive_during_call = !first_destroyed.load();
    throw std::runtime_error("down");
  });
  // The whole call ran on generation 1: its 4 attempts, its observer's start and end.
  BOOST_TEST(result.error().attempts == 4);
  BOOST_TEST(attempts_seen == 4);
  BOOST_TEST(alive_during_call);
  // It was the last call of generation 1: the generation and its observer are gone, the
  // observer flushed once before.
  BOOST_TEST(first_destroyed.load());
  BOOST_TEST(watch.expired());
  BOOST_TEST(ex->try_run("a.B", down).error().attempts == 1);
  BOOST_TEST(ex->generations_retiring() == 0u);
  BOOST_TEST(flushed == 1);
}

BOOST_AUTO_TEST_CASE(a_dropped_observer_sees_every_end_of_its_calls_and_is_flushed_once) {
  harness::Harness h;
  auto probe = std::make_shared<GenerationProbe>();
  auto kept = std::make_shared<GenerationProbe>();
  h.options.observers = {probe, kept};
  auto ex = h.make();
  for (int i = 0; i < 3; ++i) (void)ex->try_run("a.B", ok);
  recourse::ExecutorOptions next = options_for(h, h.table);
  next.observers = {kept};
  (void)ex->replace(std::move(next), {"observer probe removed"});
  (void)ex->try_run("a.B", ok);
  BOOST_TEST(probe->starts.load() == 3);
  BOOST_TEST(probe->ends.load() == 3);
  BOOST_TEST(probe->flushes.load() == 1);
  BOOST_TEST(probe->configs.load() == 1);  // the first generation only: not in the one the config made
  BOOST_TEST(kept->starts.load() == 4);
  BOOST_TEST(kept->flushes.load() == 0);
  BOOST_TEST(kept->configs.load() == 2);  // the first generation, then the replacement
  BOOST_TEST(kept->last_config.accepted);
  BOOST_TEST(kept->last_config.generation == 2u);
  BOOST_TEST(kept->last_config.changes == std::vector<std::string>{"observer probe removed"});

  ex->report_refused(recourse::ConfigEvent{0, true, {}, {"recourse.toml:3:1: bad"}, {}});
  BOOST_TEST(kept->configs.load() == 3);
  BOOST_TEST(!kept->last_config.accepted);
  BOOST_TEST(kept->last_config.generation == 2u);
  BOOST_TEST(kept->last_config.errors.front() == "recourse.toml:3:1: bad");
}

BOOST_AUTO_TEST_CASE(an_open_breaker_stays_open_across_a_reload_that_keeps_it) {
  harness::Harness h;
  harness::set(h.table.defaults, "retry.max_attempts", 1);
  harness::set(h.table.defaults, "circuit.enabled", true);
  harness::set(h.table.defaults, "circuit.threshold", 2);
  harness::set(h.table.defaults, "circuit.cooldown", recourse::Duration(10s));
  auto ex = h.make();
  (void)ex->try_run("db.Query", down);
  (void)ex->try_run("db.Query", down);
  (void)ex->try_run("db.Other", down);  // one failure counted
  BOOST_TEST((ex->circuit_state("db.Query") == std::optional(CircuitState::open)));

  // Same policy: the breakers are the same objects.
  (void)ex->replace(options_for(h, h.table));
  BOOST_TEST((ex->circuit_state("db.Query") == std::optional(CircuitState::open)));
  BOOST_TEST(ex->try_run("db.Query", ok).error().reason == "circuit_open");

  // New thresholds: the window carries and the new threshold judges it.
  recourse::PolicyTable next = h.table;
  harness::set(next.defaults, "circuit.threshold", 2);
  harness::set(next.defaults, "circuit.cooldown", recourse::Duration(20s));
  const auto r = ex->replace(options_for(h, next));
  BOOST_TEST(r.breakers_reset.empty());
  BOOST_TEST(ex->try_run("db.Query", ok).error().reason == "circuit_open");
  h.virtual_clock->advance(15s);  // past the old cooldown, not the new one
  BOOST_TEST(ex->try_run("db.Query", ok).error().reason == "circuit_open");
  (void)ex->try_run("db.Other", down);  // its second failure, counted across two reloads
  BOOST_TEST((ex->circuit_state("db.Other") == std::optional(CircuitState::open)));

  // Another kind: the breakers start fresh, and the result says which.
  recourse::PolicyTable rate = h.table;
  harness::set(rate.defaults, "circuit.kind", recourse::CircuitKind::failure_rate);
  const auto reset = ex->replace(options_for(h, rate));
  BOOST_TEST(reset.breakers_reset == (std::vector<std::string>{"db.Other", "db.Query"}));
  BOOST_TEST((ex->circuit_state("db.Query") == std::optional(CircuitState::closed)));
  BOOST_TEST(ex->try_run("db.Query", ok).value() == 1);
}

BOOST_AUTO_TEST_CASE(a_breaker_reported_reset_stays_reset_when_a_later_reload_restores_the_policy) {
  harness::Harness h;
  harness::set(h.table.defaults, "retry.max_attempts", 1);
  harness::set(h.table.defaults, "circuit.enabled", true);
  harness::set(h.table.defaults, "circuit.threshold", 1);
  harness::set(h.table.defaults, "circuit.cooldown", recourse::Duration(10s));
  const recourse::PolicyTable first = h.table;
  auto ex = h.make();
  (void)ex->try_run("db.Query", down);
  BOOST_TEST((ex->circuit_state("db.Query") == std::optional(CircuitState::open)));
  recourse::PolicyTable rate = first;
  harness::set(rate.defaults, "circuit.kind", recourse::CircuitKind::failure_rate);
  BOOST_TEST(ex->replace(options_for(h, rate)).breakers_reset == std::vector<std::string>{"db.Query"});
  // The key is never called under the failure-rate policy; the first policy comes back.
  BOOST_TEST(ex->replace(options_for(h, first)).breakers_reset.empty());
  BOOST_TEST((ex->circuit_state("db.Query") == std::optional(CircuitState::closed)));
  BOOST_TEST(ex->try_run("db.Query", ok).value() == 1);
}

BOOST_AUTO_TEST_CASE(an_observer_dropped_and_added_back_is_not_flushed_while_it_is_in_use) {
  harness::Harness h;
  harness::set(h.table.defaults, "retry.max_attempts", 2);
  harness::set(h.table.defaults, "retry.initial_backoff", recourse::Duration(0ms));
  auto probe = std::make_shared<GenerationProbe>();
  h.options.observers.push_back(probe);
  const recourse::PolicyTable table = h.table;
  auto ex = h.make();
  (void)ex->try_run("a.B", [&](const recourse::Attempt& a) -> int {
    if (a.index == 0) {
      (void)ex->replace(options_for(h, table));  // generation 2 drops it...
      recourse::ExecutorOptions back = options_for(h, table);
      back.observers.push_back(probe);
      (void)ex->replace(std::move(back));  // ...generation 3 has it again
    }
    throw std::runtime_error("down");
  });
  // Generations 1 and 2 are gone; it is still generation 3's.
  BOOST_TEST(ex->generations_retiring() == 0u);
  BOOST_TEST(probe->flushes.load() == 0);
  (void)ex->try_run("a.B", ok);
  BOOST_TEST(probe->ends.load() == 2);
  ex.reset();  // its last generation goes: flushed once
  BOOST_TEST(probe->flushes.load() == 1);
}

BOOST_AUTO_TEST_CASE(a_count_window_keeps_its_newest_calls_when_it_shrinks) {
  recourse::CircuitPolicy before;
  before.enabled = true;
  before.kind = recourse::CircuitKind::failure_rate;
  before.window_size = 10;
  before.minimum_calls = 4;
  recourse::CircuitBreaker old(before);
  const recourse::TimePoint now{};
  for (int i = 0; i < 6; ++i) (void)old.finish(false, old.generation(), recourse::CallVerdict::success, 1ms, now);
  for (int i = 0; i < 3; ++i) (void)old.finish(false, old.generation(), recourse::CallVerdict::failure, 1ms, now);
  BOOST_TEST((old.state() == CircuitState::closed));  // 3 of 9
  recourse::CircuitPolicy after = before;
  after.window_size = 4;  // the newest four: S F F F, 75%
  after.failure_rate_threshold = 80;
  recourse::CircuitBreaker carried(after, old);
  BOOST_TEST((carried.state() == CircuitState::closed));
  // One more failure: F F F F in a four-call window.
  const auto t = carried.finish(false, carried.generation(), recourse::CallVerdict::failure, 1ms, now);
  BOOST_TEST(t.has_value());
  BOOST_TEST((carried.state() == CircuitState::open));
  BOOST_TEST(recourse::CircuitBreaker::carries_over(before, after));
  after.window_type = recourse::WindowType::time;
  BOOST_TEST(!recourse::CircuitBreaker::carries_over(before, after));
}

BOOST_AUTO_TEST_CASE(keys_holding_a_slot_keep_it_and_the_limit_counts_them) {
  harness::Harness h;
  h.options.max_keys = 2;
  harness::set(h.table.defaults, "retry.max_attempts", 1);
  auto ex = h.make();
  (void)ex->try_run("k.One", ok);
  (void)ex->try_run("k.Two", ok);
  recourse::ExecutorOptions next = options_for(h, h.table);
  next.max_keys = 2;
  (void)ex->replace(std::move(next));
  (void)ex->try_run("k.Three", ok);  // a third distinct key, past the limit
  BOOST_TEST(ex->over_limit_calls() == 1u);
  (void)ex->try_run("k.One", ok);  // carried: it still holds its slot
  BOOST_TEST(ex->over_limit_calls() == 1u);
}

BOOST_AUTO_TEST_CASE(a_replacement_on_another_clock_resets_every_breaker) {
  harness::Harness h;
  harness::set(h.table.defaults, "retry.max_attempts", 1);
  harness::set(h.table.defaults, "circuit.enabled", true);
  harness::set(h.table.defaults, "circuit.threshold", 1);
  harness::set(h.table.defaults, "circuit.cooldown", recourse::Duration(10s));
  auto ex = h.make();
  (void)ex->try_run("db.Query", down);
  BOOST_TEST((ex->circuit_state("db.Query") == std::optional(CircuitState::open)));
  // The same circuit policy, but its cooldown start is in the old clock's time.
  recourse::ExecutorOptions next = options_for(h, h.table);
  next.clock = std::make_shared<recourse::VirtualClock>();
  const auto r = ex->replace(std::move(next));
  BOOST_TEST(r.breakers_reset == std::vector<std::string>{"db.Query"});
  BOOST_TEST(ex->try_run("db.Query", ok).value() == 1);
}

// Key slots (CallInfo::key_slot), what an observer indexes per-key state by: dense from 0 in
// the order keys are first called, kept by a replacement, none past max_keys.
struct SlotObserver : recourse::Observer {
  std::mutex mutex;
  std::map<std::string, std::uint32_t> slots;
  void on_start(const recourse::CallInfo& call) override {
    const std::lock_guard lock(mutex);
    slots[std::string(call.key)] = call.key_slot;
  }
};

BOOST_AUTO_TEST_CASE(key_slots_are_dense_kept_across_generations_and_absent_past_the_limit) {
  harness::Harness h;
  h.options.max_keys = 3;
  auto observer = std::make_shared<SlotObserver>();
  h.options.observers.push_back(observer);
  harness::set(h.table.defaults, "retry.max_attempts", 1);
  auto ex = h.make();
  (void)ex->try_run("k.A", ok);
  (void)ex->try_run("k.B", ok);
  recourse::ExecutorOptions next = options_for(h, h.table);
  next.max_keys = 3;
  next.observers.push_back(observer);
  (void)ex->replace(std::move(next));
  (void)ex->try_run("k.C", ok);
  (void)ex->try_run("k.B", ok);
  (void)ex->try_run("k.D", ok);  // past the limit
  const std::lock_guard lock(observer->mutex);
  BOOST_TEST(observer->slots["k.A"] == 0u);
  BOOST_TEST(observer->slots["k.B"] == 1u);  // its number from the first generation
  BOOST_TEST(observer->slots["k.C"] == 2u);
  BOOST_TEST(observer->slots["k.D"] == recourse::CallInfo::no_key_slot);
}

BOOST_AUTO_TEST_CASE(latency_samples_carry_over_to_the_next_generation) {
  recourse::LatencyTracker old(2);
  old.record(10ms);
  old.record(30ms);
  const recourse::LatencyTracker carried(3, old);
  BOOST_TEST(carried.samples() == 2u);
  BOOST_TEST(!carried.percentile(50).has_value());  // the new minimum judges
  const recourse::LatencyTracker same(2, old);
  BOOST_TEST(same.percentile(100).value() == recourse::Duration(30ms));
}

// Four threads call while a fifth replaces the generation 500 times, alternating two policies:
// every call's attempts are within its own generation's bound (it failed with 2 or 3 attempts,
// never a mix), every start an observer saw has its end, every generation is destroyed.
BOOST_AUTO_TEST_CASE(calls_racing_replacements_each_see_one_whole_generation) {
  struct Ends : recourse::Observer {
    std::atomic<int> starts{0}, ends{0};
    void on_start(const recourse::CallInfo&) override { ++starts; }
    void on_failure(const recourse::CallInfo&, const recourse::Timeline&) override { ++ends; }
    void on_success(const recourse::CallInfo&, const recourse::Timeline&) override { ++ends; }
  };
  const auto make_options = [](int attempts, std::shared_ptr<recourse::Observer> observer) {
    recourse::PolicyTable table;
    table.defaults.where = {"test", 1, 1};
    harness::set(table.defaults, "retry.max_attempts", attempts);
    harness::set(table.defaults, "retry.initial_backoff", recourse::Duration(0ms));
    recourse::ExecutorOptions options;
    options.provider = std::make_shared<recourse::StaticPolicyProvider>(table);
    options.random = std::make_shared<recourse::FixedRandom>(0.5);
    if (observer) options.observers.push_back(std::move(observer));
    return options;
  };
  auto observer = std::make_shared<Ends>();
  recourse::Executor ex(make_options(2, nullptr));
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0}, calls{0};
  std::vector<std::jthread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&] {
      while (!stop.load()) {
        // Each generation's bound is the attempts the operation saw itself.
        int seen = 0;
        const auto r = ex.try_run("race.Key", [&](const recourse::Attempt&) -> int {
          ++seen;
          throw std::runtime_error("down");
        });
        if (r.error().attempts != seen || (seen != 2 && seen != 3)) ++wrong;
        ++calls;
      }
    });
  for (int i = 0; i < 500; ++i) (void)ex.replace(make_options(i % 2 == 0 ? 3 : 2, i % 2 == 0 ? observer : nullptr));
  stop = true;
  callers.clear();
  BOOST_TEST(wrong.load() == 0);
  BOOST_TEST(calls.load() > 0);
  BOOST_TEST(ex.generation() == 501u);
  BOOST_TEST(observer->starts.load() == observer->ends.load());
  BOOST_TEST(ex.generations_retiring() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
