// Circuit breaking, latency tracking and hedging: what a breaker adds to a call, compared with
// the same call without one in the same run; what recording and asking a latency percentile
// cost; and what hedging costs — a hedged call whose primary wins (a group, a spawn timer set
// and cancelled) against the same call with a timeout and no hedge, and a call in which a hedge
// is spawned on the pool, wins, and stops the primary (in virtual time, so the wall time is
// the machinery's alone).
#include <benchmark/benchmark.h>

#include "allocation_counter.hpp"

#include <chrono>
#include <memory>

import recourse.core;

namespace {

using namespace std::chrono_literals;
using recourse::bench::AllocationCount;

int work(const recourse::Attempt& attempt) {
  benchmark::DoNotOptimize(attempt.index);
  return 1;
}

std::shared_ptr<recourse::PolicyProvider> breaker_policies() {
  recourse::PolicyTable table;
  table.defaults.where.line = 1;
  for (const char* path : {"circuit.enabled"})
    table.exact["bench.Breaker"].entries.push_back({recourse::find_policy_field(path), true, {}});
  return std::make_shared<recourse::StaticPolicyProvider>(table);
}

recourse::Executor& executor() {
  static recourse::Executor instance([] {
    recourse::ExecutorOptions options;
    options.provider = breaker_policies();
    return options;
  }());
  return instance;
}

void BM_RunWithoutBreaker(benchmark::State& state) {
  static const auto key = *recourse::KeyHandle::intern("bench.Plain");
  benchmark::DoNotOptimize(executor().run(key, work));  // warm: policy cached, per-thread caches filled
  const AllocationCount allocations(state);
  for (auto _ : state) benchmark::DoNotOptimize(executor().run(key, work));
}
BENCHMARK(BM_RunWithoutBreaker);

void BM_RunClosedBreaker(benchmark::State& state) {
  static const auto key = *recourse::KeyHandle::intern("bench.Breaker");
  benchmark::DoNotOptimize(executor().run(key, work));  // warm: policy cached, per-thread caches filled
  const AllocationCount allocations(state);
  for (auto _ : state) benchmark::DoNotOptimize(executor().run(key, work));
}
BENCHMARK(BM_RunClosedBreaker);

void BM_BreakerAdmitAndFinish(benchmark::State& state) {
  recourse::CircuitPolicy policy;
  policy.enabled = true;
  recourse::CircuitBreaker breaker(policy);
  const recourse::TimePoint now{};
  for (auto _ : state) {
    const auto admission = breaker.admit(now);
    benchmark::DoNotOptimize(
        breaker.finish(admission.probe, admission.generation, recourse::CallVerdict::success, 1ms, now));
  }
}
BENCHMARK(BM_BreakerAdmitAndFinish);

void BM_LatencyTrackerRecord(benchmark::State& state) {
  recourse::LatencyTracker tracker;
  recourse::Duration d = 1ms;
  for (auto _ : state) {
    tracker.record(d);
    d += 1us;
  }
}
BENCHMARK(BM_LatencyTrackerRecord);

void BM_LatencyTrackerP95(benchmark::State& state) {
  recourse::LatencyTracker tracker;
  for (int i = 0; i < 1000; ++i) tracker.record(std::chrono::microseconds(i * 37 % 5000));
  for (auto _ : state) benchmark::DoNotOptimize(tracker.percentile(95));
}
BENCHMARK(BM_LatencyTrackerP95);

void add(recourse::PolicyPatch& patch, const char* path, recourse::FieldValue value) {
  patch.entries.push_back({recourse::find_policy_field(path), std::move(value), {}});
}

std::shared_ptr<recourse::PolicyProvider> hedge_policies() {
  recourse::PolicyTable table;
  table.defaults.where.line = 1;
  add(table.exact["bench.Timed"], "retry.per_attempt_timeout", recourse::Duration(1s));
  add(table.exact["bench.Hedged"], "retry.per_attempt_timeout", recourse::Duration(1s));
  add(table.exact["bench.Hedged"], "hedge.enabled", true);
  add(table.exact["bench.Hedged"], "hedge.max_hedges", 1);
  add(table.exact["bench.Hedged"], "hedge.delay", recourse::Duration(1s));
  return std::make_shared<recourse::StaticPolicyProvider>(table);
}

recourse::Executor& system_clock_executor() {
  static recourse::Executor instance([] {
    recourse::ExecutorOptions options;
    options.provider = hedge_policies();
    return options;
  }());
  return instance;
}

void BM_RunTimedNoHedge(benchmark::State& state) {
  static const auto key = *recourse::KeyHandle::intern("bench.Timed");
  benchmark::DoNotOptimize(system_clock_executor().run(key, work));  // warm: policy cached, per-thread caches filled
  const AllocationCount allocations(state);
  for (auto _ : state) benchmark::DoNotOptimize(system_clock_executor().run(key, work));
}
BENCHMARK(BM_RunTimedNoHedge);

void BM_RunHedgedPrimaryWins(benchmark::State& state) {
  static const auto key = *recourse::KeyHandle::intern("bench.Hedged");
  benchmark::DoNotOptimize(system_clock_executor().run(key, work));  // warm: policy cached, per-thread caches filled
  const AllocationCount allocations(state);
  for (auto _ : state) benchmark::DoNotOptimize(system_clock_executor().run(key, work));
}
BENCHMARK(BM_RunHedgedPrimaryWins);

// The primary would take 1s of virtual time; the hedge, spawned at 10ms on a pool thread,
// answers at once and wins; the primary is stopped and woken. Wall time per call is the whole
// hedge lifecycle: timer, pool hand-off, budget question, attempt, decision, stop, wake, join.
void BM_HedgeSpawnedAndWins(benchmark::State& state) {
  auto clock = std::make_shared<recourse::VirtualClock>();
  recourse::PolicyTable table;
  table.defaults.where.line = 1;
  add(table.defaults, "hedge.enabled", true);
  add(table.defaults, "hedge.max_hedges", 1);
  add(table.defaults, "hedge.delay", recourse::Duration(10ms));
  recourse::ExecutorOptions options;
  options.provider = std::make_shared<recourse::StaticPolicyProvider>(table);
  options.clock = clock;
  recourse::Executor executor(std::move(options));
  const recourse::ClockWorkScope working(*clock);
  static const auto key = *recourse::KeyHandle::intern("bench.Spawn");
  // The calling thread's allocations; the pool thread's are not counted.
  const AllocationCount allocations(state);
  for (auto _ : state) {
    benchmark::DoNotOptimize(executor.run(key, [&](const recourse::Attempt& a) {
      if (!a.is_hedge) clock->sleep_until(clock->now() + 1s, a.stop);
      return a.hedge_index;
    }));
  }
}
BENCHMARK(BM_HedgeSpawnedAndWins);

}  // namespace

BENCHMARK_MAIN();
