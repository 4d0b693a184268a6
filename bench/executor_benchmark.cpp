// What the executor costs over calling the operation directly. Every BM_ here is compared with
// BM_DirectCall measured in the same run (docs/performance.md): ratios, not absolute times,
// survive a shared, noisy machine.
#include <benchmark/benchmark.h>

#include "allocation_counter.hpp"

#include <chrono>
#include <expected>
#include <memory>
#include <stdexcept>

import recourse.core;

namespace {

using namespace std::chrono_literals;
using recourse::bench::AllocationCount;

int work(const recourse::Attempt& attempt) {
  benchmark::DoNotOptimize(attempt.index);
  return 1;
}

recourse::Executor& shared_executor() {
  static recourse::Executor executor;
  return executor;
}

void BM_DirectCall(benchmark::State& state) {
  const recourse::Attempt attempt;
  const AllocationCount allocations(state);
  for (auto _ : state) benchmark::DoNotOptimize(work(attempt));
}
BENCHMARK(BM_DirectCall);

// One read of the executor's default clock, as a call reads it (SystemClock::now through the
// Clock interface): the floor under every path that needs times — a timed call reads it once,
// a captured timeline or an observer of `times` twice.
void BM_ClockRead(benchmark::State& state) {
  const std::shared_ptr<recourse::Clock> clock = std::make_shared<recourse::SystemClock>();
  for (auto _ : state) benchmark::DoNotOptimize(clock->now());
}
BENCHMARK(BM_ClockRead);

void BM_RunStringKey(benchmark::State& state) {
  auto& executor = shared_executor();
  benchmark::DoNotOptimize(executor.run("bench.String", work));  // warm: policy cached, per-thread caches filled
  const AllocationCount allocations(state);
  for (auto _ : state) benchmark::DoNotOptimize(executor.run("bench.String", work));
}
BENCHMARK(BM_RunStringKey);

void BM_RunKeyHandle(benchmark::State& state) {
  auto& executor = shared_executor();
  static const auto key = *recourse::KeyHandle::intern("bench.Handle");
  benchmark::DoNotOptimize(executor.run(key, work));  // warm: policy cached, per-thread caches filled
  const AllocationCount allocations(state);
  for (auto _ : state) benchmark::DoNotOptimize(executor.run(key, work));
}
BENCHMARK(BM_RunKeyHandle);

// Three failing attempts; the virtual clock makes each backoff free, so this is the cost of
// the retry machinery itself.
void BM_ThreeFailingAttemptsVirtualTime(benchmark::State& state) {
  recourse::ExecutorOptions options;
  options.clock = std::make_shared<recourse::VirtualClock>();
  recourse::Executor executor(std::move(options));
  const auto fails = [](const recourse::Attempt&) -> std::expected<int, int> { return std::unexpected(1); };
  benchmark::DoNotOptimize(executor.try_run("bench.Failing", fails));  // warm: policy cached, per-thread caches filled
  const AllocationCount allocations(state);
  for (auto _ : state) benchmark::DoNotOptimize(executor.try_run("bench.Failing", fails));
}
BENCHMARK(BM_ThreeFailingAttemptsVirtualTime);

// A per-attempt and an overall timeout, the call succeeding first try: its deadline timer is
// armed and cancelled every call (the real clock: SystemClock's timer queue).
void BM_RunWithTimeouts(benchmark::State& state) {
  recourse::PolicyPatch patch;
  patch.entries.push_back({recourse::find_policy_field("retry.per_attempt_timeout"), recourse::Duration(1s), {}});
  patch.entries.push_back({recourse::find_policy_field("retry.overall_timeout"), recourse::Duration(2s), {}});
  recourse::PolicyTable table;
  table.exact.emplace("bench.Timed", std::move(patch));
  recourse::ExecutorOptions options;
  options.provider = std::make_shared<recourse::StaticPolicyProvider>(std::move(table));
  recourse::Executor executor(std::move(options));
  static const auto key = *recourse::KeyHandle::intern("bench.Timed");
  benchmark::DoNotOptimize(executor.run(key, work));  // warm: policy cached, per-thread caches filled
  const AllocationCount allocations(state);
  for (auto _ : state) benchmark::DoNotOptimize(executor.run(key, work));
}
BENCHMARK(BM_RunWithTimeouts);

void BM_RunWithTimeline(benchmark::State& state) {
  auto& executor = shared_executor();
  recourse::Timeline timeline;
  benchmark::DoNotOptimize(
      executor.run("bench.Timeline", work, {.timeline = &timeline}));  // warm: policy cached, per-thread caches filled
  const AllocationCount allocations(state);
  for (auto _ : state) benchmark::DoNotOptimize(executor.run("bench.Timeline", work, {.timeline = &timeline}));
}
BENCHMARK(BM_RunWithTimeline);

// A plain Observer: told every event, with whole timelines and times.
class CountingObserver final : public recourse::Observer {
 public:
  void on_attempt(const recourse::CallInfo&, const recourse::AttemptRecord&) override { ++attempts; }
  long attempts = 0;
};

void BM_RunWithObserver(benchmark::State& state) {
  recourse::ExecutorOptions options;
  auto observer = std::make_shared<CountingObserver>();
  options.observers.push_back(observer);
  recourse::Executor executor(std::move(options));
  benchmark::DoNotOptimize(executor.run("bench.Observed", work));  // warm: policy cached, per-thread caches filled
  const AllocationCount allocations(state);
  for (auto _ : state) benchmark::DoNotOptimize(executor.run("bench.Observed", work));
  benchmark::DoNotOptimize(observer->attempts);
}
BENCHMARK(BM_RunWithObserver);

// The same observer, saying it wants only attempts (SelectiveObserver): no timeline is built
// and the clock is not read for it.
class SelectiveCountingObserver final : public recourse::SelectiveObserver {
 public:
  recourse::ObserverEvents events() const noexcept override { return recourse::ObserverEvent::attempt; }
  void on_attempt(const recourse::CallInfo&, const recourse::AttemptRecord&) override { ++attempts; }
  long attempts = 0;
};

void BM_RunWithCountingObserver(benchmark::State& state) {
  recourse::ExecutorOptions options;
  auto observer = std::make_shared<SelectiveCountingObserver>();
  options.observers.push_back(observer);
  recourse::Executor executor(std::move(options));
  static const auto key = *recourse::KeyHandle::intern("bench.Counted");
  benchmark::DoNotOptimize(executor.run(key, work));  // warm: policy cached, per-thread caches filled
  const AllocationCount allocations(state);
  for (auto _ : state) benchmark::DoNotOptimize(executor.run(key, work));
  benchmark::DoNotOptimize(observer->attempts);
}
BENCHMARK(BM_RunWithCountingObserver);

// One allocation an iteration, on purpose: the allocation guard (bench.zero_allocation_paths)
// checks that the count sees it, so a counter that stopped counting cannot pass for zero.
void BM_CountingCanary(benchmark::State& state) {
  const AllocationCount allocations(state);
  for (auto _ : state) benchmark::DoNotOptimize(std::make_unique<int>(1));
}
BENCHMARK(BM_CountingCanary);

// Scaling: the same key from 1 and 2 threads; items/s per thread count is the comparison.
void BM_RunOneKeyThreads(benchmark::State& state) {
  auto& executor = shared_executor();
  static const auto key = *recourse::KeyHandle::intern("bench.Shared");
  for (auto _ : state) benchmark::DoNotOptimize(executor.run(key, work));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RunOneKeyThreads)->Threads(1)->Threads(2)->UseRealTime();

void BM_DirectCallThreads(benchmark::State& state) {
  const recourse::Attempt attempt;
  for (auto _ : state) benchmark::DoNotOptimize(work(attempt));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DirectCallThreads)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
