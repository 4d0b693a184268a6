// Acquire latency of the Redis-shared budgets against a redis-server this benchmark starts on a
// free loopback port (plugins/budgets/redis_budget/redis_test_server.hpp), with and without
// batching, beside the in-process token_bucket as the baseline of the same run. Each
// iteration is one acquire, timed on its own; p50_us / p99_us are those times' percentiles
// (Google Benchmark's own time is their mean). The budgets never deny here (a huge bucket, a
// permissive ratio), so every iteration is a grant: a round trip, or with batch = 8 one round
// trip every 8 grants. The timeout is 100 ms, not the default 2 ms, so that a slow round trip
// on a loaded machine is measured rather than cut short (`without_redis` counts any that still
// were). docs/performance.md has the command and the numbers.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "redis_test_server.hpp"

import recourse.runtime;

namespace {

redis_test::RedisTestServer& server() {
  static redis_test::RedisTestServer redis;
  return redis;
}

std::string config(const std::string& budget) {
  return "[plugins]\npaths = [\"" RECOURSE_PLUGIN_DIR "\"]\nload = [\"redis_budget\", \"token_bucket\"]\n\n" + budget;
}

void run_acquires(benchmark::State& state, const std::string& budget_table, bool count_calls) {
  auto runtime = recourse::Runtime::from_text(config(budget_table), "benchmark");
  if (!runtime) {
    state.SkipWithError(runtime.error().message().c_str());
    return;
  }
  const auto budget = runtime->budget("b");
  const recourse::BudgetRequest request{"bench.Call", false, 1, 1, {}};
  (void)budget->acquire(request);  // connects and loads the script: not what is measured
  std::vector<double> micros;
  int without_redis = 0;
  micros.reserve(1 << 20);
  for (auto _ : state) {
    if (count_calls) budget->call_started("bench.Call", {});
    const auto start = std::chrono::steady_clock::now();
    const auto decision = budget->acquire(request);
    micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    benchmark::DoNotOptimize(decision);
    if (decision.reason == "budget_redis_unavailable") ++without_redis;
    else if (!decision.allowed) {
      state.SkipWithError(("not granted: " + std::string(decision.reason)).c_str());
      break;
    }
  }
  state.counters["without_redis"] = without_redis;
  if (micros.empty()) return;
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = micros[micros.size() / 2];
  state.counters["p99_us"] = micros[std::min(micros.size() - 1, micros.size() * 99 / 100)];
}

std::string redis_bucket(int batch) {
  return "[budgets.b]\nplugin = \"redis_token_bucket\"\nurl = \"" + server().url() +
         "\"\nkey = \"bench:bucket:" + std::to_string(batch) +
         "\"\ncapacity = 1000000000\nrefill_per_second = 1000000000\nfleet_size = 1\ntimeout = \"100ms\"\nbatch = " +
         std::to_string(batch) + "\n";
}

std::string redis_window(int batch) {
  return "[budgets.b]\nplugin = \"redis_ratio\"\nurl = \"" + server().url() +
         "\"\nkey = \"bench:window:" + std::to_string(batch) +
         "\"\npercent = 1000\nmin_per_second = 1000000000\nfleet_size = 1\ntimeout = \"100ms\"\nbatch = " +
         std::to_string(batch) + "\n";
}

void BM_LocalTokenBucket(benchmark::State& state) {
  run_acquires(state, "[budgets.b]\nplugin = \"token_bucket\"\ncapacity = 1000000000\nrefill_per_second = 1000000000\n",
               false);
}
void BM_RedisTokenBucket(benchmark::State& state) { run_acquires(state, redis_bucket(1), false); }
void BM_RedisTokenBucketBatch8(benchmark::State& state) { run_acquires(state, redis_bucket(8), false); }
void BM_RedisRatio(benchmark::State& state) { run_acquires(state, redis_window(1), true); }
void BM_RedisRatioBatch8(benchmark::State& state) { run_acquires(state, redis_window(8), true); }

BENCHMARK(BM_LocalTokenBucket);
BENCHMARK(BM_RedisTokenBucket);
BENCHMARK(BM_RedisTokenBucketBatch8);
BENCHMARK(BM_RedisRatio);
BENCHMARK(BM_RedisRatioBatch8);

}  // namespace

BENCHMARK_MAIN();
