// Reloads under load: four threads call six keys (plain, budgeted, a breaker, hedged, a
// namespace, observed) while a fifth applies 1 000 configs that alternate attempts, breaker
// thresholds, budget capacities and observers (a counting host observer replaced every other
// config, the jsonl plugin's observer added and removed with its library), every 10th invalid.
// Run under TSan and ASan by CI. Invariants:
// - each call saw as many attempts as its failure reports, and a plain key's count is one of
//   the two generations' bounds — never anything between;
// - every budget reservation granted is released exactly once, to the object that granted it;
// - every observer instance saw an end for each start, was flushed at most once, and got no
//   event after its flush;
// - once the runtime is destroyed the process has the threads it had before.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "plugin_harness.hpp"

namespace {

namespace fs = std::filesystem;

std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// Grants every request; tokens name the instance, so a release to another instance shows.
struct CountingBudget final : recourse::Budget {
  explicit CountingBudget(std::uint64_t id) : id(id) {}
  const std::uint64_t id;
  std::atomic<std::uint64_t> granted{0}, released{0}, foreign{0};
  recourse::BudgetDecision acquire(const recourse::BudgetRequest&) override {
    return {true, recourse::reason::allowed, (id << 32) | ++granted};
  }
  void release(const recourse::BudgetRequest&, std::uint64_t token) noexcept override {
    if ((token >> 32) != id) ++foreign;
    ++released;
  }
};

struct CountingObserver final : recourse::Observer {
  std::atomic<std::uint64_t> starts{0}, ends{0}, flushes{0}, after_flush{0};
  void seen() {
    if (flushes.load() != 0) ++after_flush;
  }
  void on_start(const recourse::CallInfo&) override {
    seen();
    ++starts;
  }
  void on_success(const recourse::CallInfo&, const recourse::Timeline&) override {
    seen();
    ++ends;
  }
  void on_failure(const recourse::CallInfo&, const recourse::Timeline&) override {
    seen();
    ++ends;
  }
  void flush() noexcept override { ++flushes; }
};

// Every instance the factories made, kept to be checked at the end.
struct Made {
  std::mutex mutex;
  std::vector<std::shared_ptr<CountingBudget>> budgets;
  std::vector<std::shared_ptr<CountingObserver>> observers;
};

recourse::host::ComponentCatalogue counting_components(Made& made) {
  recourse::host::ComponentCatalogue components;
  components.add_host<recourse::Budget>("counting", [&made](const recourse::ComponentContext&) {
    std::lock_guard lock(made.mutex);
    return made.budgets.emplace_back(std::make_shared<CountingBudget>(made.budgets.size() + 1));
  });
  components.add_host<recourse::Observer>("counting", [&made](const recourse::ComponentContext&) {
    std::lock_guard lock(made.mutex);
    return made.observers.emplace_back(std::make_shared<CountingObserver>());
  });
  return components;
}

std::string config_text(int i, const fs::path& jsonl) {
  const bool odd = i % 2 != 0;
  std::string text = "[executor]\nhedge_threads = 2\n";
  if (i % 4 < 2)  // the jsonl plugin and its observer, in half the configs
    text += std::string("[plugins]\npaths = [\"") + RECOURSE_PLUGIN_DIR + "\"]\nload = [\"jsonl\"]\n" +
            "[observers.lines]\nplugin = \"jsonl\"\npath = \"" + jsonl.string() + "\"\n";
  text += "[budgets.b]\nplugin = \"counting\"\ncapacity = " + std::to_string(i % 3 + 1) + "\n";
  text += "[observers.count]\nplugin = \"counting\"\nround = " + std::to_string(i % 2) + "\n";
  text += "[defaults]\nretry.max_attempts = " + std::string(odd ? "2" : "4") +
          "\nretry.initial_backoff = \"1ms\"\nretry.max_backoff = \"1ms\"\n";
  text += "[policies.\"s.Budget\"]\nretry.budget.name = \"b\"\n";
  text += "[policies.\"s.Breaker\"]\ncircuit.enabled = true\ncircuit.threshold = " + std::string(odd ? "3" : "5") +
          "\ncircuit.cooldown = \"100ms\"\n";
  text += "[policies.\"s.Hedge\"]\nhedge.enabled = true\nhedge.delay = \"10ms\"\nhedge.budget.name = \"b\"\n";
  text += "[policies.\"ns.*\"]\nretry.budget.name = \"b\"\n";
  if (i % 10 == 9) text += "[policies.\"s.Plain\"]\nretry.max_attempts = \"many\"\n";  // refused
  return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reload_stress)

BOOST_AUTO_TEST_CASE(a_thousand_configs_under_four_calling_threads_keep_every_invariant) {
  const fs::path dir = fs::temp_directory_path() / ("recourse-stress-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path jsonl = dir / "calls.jsonl";
  // A sanitizer's runtime starts a thread of its own at the first pthread_create (TSan's
  // background thread): have it running before the baseline is taken.
  std::thread([] {}).join();
  const std::size_t threads_before = thread_count();
  Made made;
  std::atomic<int> wrong{0}, calls{0}, accepted{0}, refused{0};
  {
    const recourse::host::ComponentCatalogue components = counting_components(made);
    auto config = recourse::host::parse_config(config_text(0, jsonl), "stress-0.toml");
    BOOST_REQUIRE(config.has_value());
    recourse::host::RuntimeOptions options;
    options.components = &components;
    options.log_deprecations = false;
    auto built = recourse::host::build_runtime(*config, std::move(options));
    BOOST_REQUIRE_MESSAGE(built.has_value(), (built ? "" : recourse::host::to_string(built.error())));
    std::unique_ptr<recourse::host::Runtime> runtime = std::move(*built);
    recourse::Executor& executor = *runtime->executor;

    std::atomic<bool> stop{false};
    std::vector<std::jthread> callers;
    for (int t = 0; t < 4; ++t)
      callers.emplace_back([&, t] {
        static constexpr const char* keys[] = {"s.Plain", "s.Budget", "s.Breaker", "s.Hedge", "ns.Any", "s.Observed"};
        for (int n = t; !stop.load(); ++n) {
          const std::string_view key = keys[n % 6];
          std::atomic<int> seen{0};
          const auto r = executor.try_run(key, [&](const recourse::Attempt&) -> int {
            ++seen;
            throw std::runtime_error("down");
          });
          const int attempts = r.error().attempts;
          if (attempts != seen.load()) ++wrong;
          if (key == "s.Plain" && attempts != 2 && attempts != 4) ++wrong;
          if (key != "s.Hedge" && attempts > 4) ++wrong;
          ++calls;
        }
      });
    for (int i = 1; i <= 1000; ++i) {
      const auto result = runtime->apply(config_text(i, jsonl), "stress-" + std::to_string(i) + ".toml");
      if (result.accepted) ++accepted;
      else ++refused;
      if (result.accepted == (i % 10 == 9)) ++wrong;  // exactly every 10th is refused
    }
    stop = true;
    callers.clear();
    BOOST_TEST(executor.generations_retiring() == 0u);
  }
  BOOST_TEST(wrong.load() == 0);
  BOOST_TEST(accepted.load() == 900);
  BOOST_TEST(refused.load() == 100);
  BOOST_TEST(calls.load() > 0);
  std::uint64_t granted = 0;
  for (const auto& budget : made.budgets) {
    BOOST_TEST(budget->granted.load() == budget->released.load());
    BOOST_TEST(budget->foreign.load() == 0u);
    granted += budget->granted.load();
  }
  BOOST_TEST(granted > 0u);
  BOOST_TEST(made.observers.size() > 400u);  // replaced every other accepted config
  for (const auto& observer : made.observers) {
    BOOST_TEST(observer->starts.load() == observer->ends.load());
    BOOST_TEST(observer->flushes.load() <= 1u);
    BOOST_TEST(observer->after_flush.load() == 0u);
  }
  BOOST_TEST(thread_count() == threads_before);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
