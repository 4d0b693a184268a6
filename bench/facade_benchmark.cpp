// The facade against the executor it runs on, in one run: recourse::run(key, op) on the
// installed runtime and the same runtime's Executor held directly. The facade adds one atomic
// load (recourse_facade.cppm); these say what it costs (docs/performance.md, "The facade").
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>

import recourse.runtime;

namespace {

int work(const recourse::Attempt& attempt) {
  benchmark::DoNotOptimize(attempt.index);
  return 1;
}

// The default config's shape without its plugins: defaults and a namespace policy.
constexpr const char* policy = R"([defaults]
retry.max_attempts = 3
[policies."bench.*"]
retry.initial_backoff = "50ms"
)";

recourse::Executor& held_executor() { return recourse::default_runtime()->executor(); }

void BM_RunKeyHandle(benchmark::State& state) {
  auto& executor = held_executor();
  static const auto key = *recourse::KeyHandle::intern("bench.Handle");
  for (auto _ : state) benchmark::DoNotOptimize(executor.run(key, work));
}
BENCHMARK(BM_RunKeyHandle);

void BM_FacadeRunKeyHandle(benchmark::State& state) {
  static const auto key = *recourse::KeyHandle::intern("bench.Handle");
  for (auto _ : state) benchmark::DoNotOptimize(recourse::run(key, work));
}
BENCHMARK(BM_FacadeRunKeyHandle);

void BM_RunStringKey(benchmark::State& state) {
  auto& executor = held_executor();
  for (auto _ : state) benchmark::DoNotOptimize(executor.run("bench.String", work));
}
BENCHMARK(BM_RunStringKey);

void BM_FacadeRunStringKey(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(recourse::run("bench.String", work));
}
BENCHMARK(BM_FacadeRunStringKey);

void BM_RunKeyHandleThreads(benchmark::State& state) {
  auto& executor = held_executor();
  static const auto key = *recourse::KeyHandle::intern("bench.Threads");
  for (auto _ : state) benchmark::DoNotOptimize(executor.run(key, work));
}
BENCHMARK(BM_RunKeyHandleThreads)->Threads(1)->Threads(2)->UseRealTime();

void BM_FacadeRunKeyHandleThreads(benchmark::State& state) {
  static const auto key = *recourse::KeyHandle::intern("bench.Threads");
  for (auto _ : state) benchmark::DoNotOptimize(recourse::run(key, work));
}
BENCHMARK(BM_FacadeRunKeyHandleThreads)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  auto runtime = recourse::Runtime::from_text(policy, "facade_benchmark");
  if (!runtime) {
    std::cerr << runtime.error().message() << '\n';
    return 2;
  }
  if (auto installed = recourse::install(std::move(*runtime)); !installed) {
    std::cerr << installed.error().message() << '\n';
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
