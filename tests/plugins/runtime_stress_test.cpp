// Many threads through one runtime built from TOML with real plugins — the errno classifier,
// the concurrency and token_bucket budgets, the jsonl and trace observers — for the sanitizer
// presets to watch: no race, no leak, nothing lost.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "plugin_harness.hpp"

namespace fs = std::filesystem;

BOOST_AUTO_TEST_SUITE(runtime_stress)

BOOST_AUTO_TEST_CASE(concurrent_calls_through_plugin_components_lose_nothing) {
  const fs::path dir = fs::temp_directory_path() /
                       ("recourse-stress-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  fs::create_directories(dir);
  const std::string toml = std::string("[plugins]\npaths = [\"") + RECOURSE_PLUGIN_DIR + "\"]\n" + R"(
[budgets.active]
plugin = "concurrency"
percent = 50
min_concurrency = 2

[budgets.bucket]
plugin = "token_bucket"
capacity = 1000
refill_per_second = 0

[observers.calls]
plugin = "jsonl"
path = ")" + (dir / "calls.jsonl").string() +
                           R"("

[observers.trace]
plugin = "trace"
path = ")" + (dir / "trace.json").string() +
                           R"("

[defaults]
retry.classifier = "errno"
retry.max_attempts = 3
retry.initial_backoff = "1ms"
retry.budget.name = "bucket"

[policies."hot.*"]
retry.budget.name = "active"
)";
  auto config = recourse::host::parse_config(toml, "stress.toml");
  BOOST_REQUIRE_MESSAGE(config.has_value(), (config ? "" : recourse::host::to_string(config.error())));
  constexpr int threads = 4, calls = 150;
  std::atomic<int> invocations{0}, successes{0};
  {
    // A virtual clock shared by all threads: backoffs advance it, nobody sleeps for real.
    auto runtime = recourse::host::build_runtime(*config, {std::make_shared<recourse::VirtualClock>()});
    BOOST_REQUIRE_MESSAGE(runtime.has_value(), (runtime ? "" : recourse::host::to_string(runtime.error())));
    recourse::Executor& executor = *(*runtime)->executor;
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        for (int i = 0; i < calls; ++i) {
          const std::string key = (i % 2 ? "hot.K" : "cold.K") + std::to_string(i % 3);
          const bool refuse = (i + t) % 4 == 0;
          const auto result = executor.try_run(key, [&](const recourse::Attempt& a) {
            ++invocations;
            return refuse && a.index == 0 ? std::make_error_code(std::errc::connection_refused) : std::error_code{};
          });
          if (result) ++successes;
        }
      });
  }  // workers joined, then the runtime and its observers (closing the trace file) destroyed
  BOOST_TEST(invocations.load() >= threads * calls);
  BOOST_TEST(successes.load() >= threads * calls * 3 / 4);

  std::ifstream jsonl(dir / "calls.jsonl");
  int lines = 0;
  for (std::string line; std::getline(jsonl, line);) {
    ++lines;
    BOOST_TEST((line.front() == '{' && line.back() == '}'));
  }
  BOOST_TEST(lines == threads * calls);  // one timeline per call, none lost or torn

  std::ifstream trace(dir / "trace.json");
  const std::string text((std::istreambuf_iterator<char>(trace)), std::istreambuf_iterator<char>());
  BOOST_TEST(text.front() == '[');
  BOOST_TEST(text.find_last_not_of(" \n") == text.rfind(']'));  // closed: a valid JSON array
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
