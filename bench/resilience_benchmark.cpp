// Circuit breaking and latency tracking: what a breaker adds to a call, compared with the same
// call without one in the same run, and what recording and asking a latency percentile cost.
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>

import recourse.core;

namespace {

using namespace std::chrono_literals;

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
  for (auto _ : state) benchmark::DoNotOptimize(executor().run(key, work));
}
BENCHMARK(BM_RunWithoutBreaker);

void BM_RunClosedBreaker(benchmark::State& state) {
  static const auto key = *recourse::KeyHandle::intern("bench.Breaker");
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

}  // namespace

BENCHMARK_MAIN();
