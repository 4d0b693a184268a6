// What the prometheus exporter costs a call: the same first-try call through a runtime with no
// observer, with an in-code observer that counts attempts (a SelectiveObserver since issue 15:
// before, a plain Observer, so older numbers in docs/performance.md are not comparable), and with the prometheus
// observer loaded from its plugin (serving on a free loopback port, not scraped) — in one run, so the ratios hold on a
// noisy machine.
//
//   build/release/bench/exporter_benchmark --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>

import recourse.runtime;

namespace {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

const std::string policy = "[policies.\"bench.*\"]\nretry.max_attempts = 3\n";

recourse::Runtime runtime(const std::string& toml, recourse::RuntimeOptions options = {}) {
  auto loaded = recourse::Runtime::from_text(toml, "bench.toml", std::move(options));
  if (!loaded) throw std::runtime_error(loaded.error().message());
  return std::move(*loaded);
}

int work(const recourse::Attempt&) { return 42; }

void calls(benchmark::State& state, recourse::Runtime& r) {
  recourse::Executor& executor = r.executor();
  for (auto _ : state) benchmark::DoNotOptimize(executor.run("bench.Get", work));
}

class CountingObserver final : public recourse::SelectiveObserver {
 public:
  recourse::ObserverEvents events() const noexcept override { return recourse::ObserverEvent::attempt; }
  void on_attempt(const recourse::CallInfo&, const recourse::AttemptRecord&) override { ++attempts; }
  long attempts = 0;
};

void BM_CallNoObserver(benchmark::State& state) {
  auto r = runtime(policy);
  calls(state, r);
}
BENCHMARK(BM_CallNoObserver);

void BM_CallCountingObserver(benchmark::State& state) {
  recourse::RuntimeOptions options;
  options.observers.push_back(std::make_shared<CountingObserver>());
  auto r = runtime(policy, std::move(options));
  calls(state, r);
}
BENCHMARK(BM_CallCountingObserver);

void BM_CallPrometheusExporter(benchmark::State& state) {
  auto r = runtime("[plugins]\npaths = [\"" RECOURSE_PLUGIN_DIR
                   "\"]\nload = [\"prometheus\"]\n"
                   "[observers.metrics]\nplugin = \"prometheus\"\nlisten = \"127.0.0.1:" +
                   std::to_string(free_port()) + "\"\n" + policy);
  calls(state, r);
}
BENCHMARK(BM_CallPrometheusExporter);

}  // namespace

BENCHMARK_MAIN();
