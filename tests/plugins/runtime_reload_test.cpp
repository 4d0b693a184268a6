// Runtime::apply / reload with real plugins: a config is built in full before anything changes,
// a refused one leaves the running generation (last-known-good) and lists every error located,
// observers hear of both, unchanged budgets and observers are kept, and an observer added from
// a plugin not loaded at start is flushed, destroyed and its library unloaded when removed.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "plugin_harness.hpp"

namespace {

namespace fs = std::filesystem;

const std::string plugin_dir = RECOURSE_PLUGIN_DIR;

std::string plugins_loading(const std::string& names) {
  return "[plugins]\npaths = [\"" + plugin_dir + "\"]\nload = [" + names + "]\n";
}

struct ConfigEvents : recourse::Observer {
  std::vector<recourse::ConfigEvent> events;
  void on_config(const recourse::ConfigEvent& event) override { events.push_back(event); }
};

struct Fixture {
  std::shared_ptr<recourse::VirtualClock> clock = std::make_shared<recourse::VirtualClock>();
  std::shared_ptr<ConfigEvents> heard = std::make_shared<ConfigEvents>();
  std::unique_ptr<recourse::host::Runtime> runtime;
  fs::path dir = fs::temp_directory_path() / ("recourse-reload-" + std::to_string(::getpid()));

  Fixture() { fs::create_directories(dir); }
  ~Fixture() {
    runtime.reset();
    fs::remove_all(dir);
  }

  void start(const std::string& toml) {
    auto config = recourse::host::parse_config(toml, "start.toml");
    BOOST_REQUIRE_MESSAGE(config.has_value(), (config ? "" : recourse::host::to_string(config.error())));
    recourse::host::RuntimeOptions options;
    options.clock = clock;
    options.extra_observers.push_back(heard);
    auto built = recourse::host::build_runtime(*config, std::move(options));
    BOOST_REQUIRE_MESSAGE(built.has_value(), (built ? "" : recourse::host::to_string(built.error())));
    runtime = std::move(*built);
  }

  int attempts_of_failing_call(std::string_view key) {
    return runtime->executor->try_run(key, [](const recourse::Attempt&) -> int { throw std::runtime_error("down"); })
        .error()
        .attempts;
  }

  std::string read(const fs::path& file) const {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
};

// Whether this process has the plugin's library mapped.
bool mapped(std::string_view library) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(library) != std::string::npos) return true;
  return false;
}

bool any_contains(const std::vector<std::string>& lines, std::string_view fragment) {
  for (const auto& l : lines)
    if (l.find(fragment) != std::string::npos) return true;
  return false;
}

const std::string policies_3 = "[defaults]\nretry.max_attempts = 3\nretry.initial_backoff = \"1ms\"\n";
const std::string policies_5 = "[defaults]\nretry.max_attempts = 5\nretry.initial_backoff = \"1ms\"\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_reload)

BOOST_AUTO_TEST_CASE(an_accepted_config_is_the_next_generation_and_says_what_changed) {
  Fixture f;
  f.start(policies_3);
  BOOST_TEST(f.attempts_of_failing_call("a.B") == 3);
  const auto result = f.runtime->apply(policies_5, "next.toml");
  BOOST_TEST(result.accepted);
  BOOST_TEST(result.generation == 2u);
  BOOST_TEST(any_contains(result.changes, "defaults: retry.max_attempts 3 -> 5"));
  BOOST_TEST(f.attempts_of_failing_call("a.B") == 5);
  BOOST_REQUIRE_EQUAL(f.heard->events.size(), 2u);  // the first generation, then this one
  BOOST_TEST(f.heard->events[0].generation == 1u);
  BOOST_TEST(f.heard->events[1].accepted);
  BOOST_TEST(f.heard->events[1].generation == 2u);
  BOOST_TEST(f.heard->events[1].changes == result.changes);
}

BOOST_AUTO_TEST_CASE(a_refused_config_changes_nothing_and_lists_every_error_located) {
  Fixture f;
  f.start(policies_3);
  // A syntax error: nothing to build from.
  const auto syntax = f.runtime->apply("[defaults\nretry.max_attempts = 5\n", "broken.toml");
  BOOST_TEST(!syntax.accepted);
  BOOST_TEST(syntax.generation == 1u);
  BOOST_REQUIRE(!syntax.errors.errors.empty());
  BOOST_TEST(recourse::to_string(syntax.errors.errors.front()).starts_with("broken.toml:1:"));
  // Two schema-level errors at once, each at its line.
  const auto schema = f.runtime->apply(
      "[defaults]\nretry.max_attempts = 5\nretry.classifier = \"htp\"\nretry.budget.name = \"ghost\"\n", "bad.toml");
  BOOST_TEST(!schema.accepted);
  std::vector<std::string> lines;
  for (const auto& e : schema.errors.errors) lines.push_back(recourse::to_string(e));
  BOOST_TEST(any_contains(lines, "bad.toml:3:20: defaults.retry.classifier: no classifier named \"htp\""));
  BOOST_TEST(any_contains(lines, "bad.toml:4:21: defaults.retry.budget.name: no budget named \"ghost\""));
  // A plugin component that refuses its settings (the factory throws).
  const auto factory = f.runtime->apply(
      plugins_loading("\"token_bucket\"") + "[budgets.tb]\nplugin = \"token_bucket\"\ncapacity = -1\n", "factory.toml");
  BOOST_TEST(!factory.accepted);
  // A plugin that cannot be loaded.
  const auto missing =
      f.runtime->apply("[plugins]\npaths = [\"/nonexistent/recourse\"]\n" + policies_5, "plugins.toml");
  BOOST_TEST(!missing.accepted);
  // Last-known-good: still the first generation, 3 attempts.
  BOOST_TEST(f.runtime->executor->generation() == 1u);
  BOOST_TEST(f.attempts_of_failing_call("a.B") == 3);
  BOOST_REQUIRE_EQUAL(f.heard->events.size(), 5u);
  BOOST_TEST(f.heard->events.front().accepted);  // the first generation, built at start
  for (const auto& event : std::span(f.heard->events).subspan(1)) {
    BOOST_TEST(!event.accepted);
    BOOST_TEST(event.generation == 1u);
    BOOST_TEST(!event.errors.empty());
  }
  BOOST_TEST(any_contains(f.heard->events[2].errors, "bad.toml:3:20"));
}

BOOST_AUTO_TEST_CASE(reload_rereads_the_file_it_was_built_from) {
  Fixture f;
  const fs::path file = f.dir / "recourse.toml";
  std::ofstream(file) << policies_3;
  auto config = recourse::host::load_config(file);
  BOOST_REQUIRE(config.has_value());
  auto built = recourse::host::build_runtime(*config, {f.clock});
  BOOST_REQUIRE(built.has_value());
  f.runtime = std::move(*built);
  std::ofstream(file) << policies_5;
  BOOST_TEST(f.runtime->reload().accepted);
  BOOST_TEST(f.attempts_of_failing_call("a.B") == 5);
  std::ofstream(file) << "[defaults]\nretry.max_attempts = \"many\"\n";
  const auto refused = f.runtime->reload();
  BOOST_TEST(!refused.accepted);
  BOOST_TEST(recourse::to_string(refused.errors.errors.front()).find("recourse.toml:2:") != std::string::npos);
  BOOST_TEST(f.attempts_of_failing_call("a.B") == 5);
}

BOOST_AUTO_TEST_CASE(unchanged_budgets_are_kept_and_changed_ones_take_over_their_tokens) {
  Fixture f;
  const std::string budget = plugins_loading("\"token_bucket\"") +
                             "[budgets.tb]\nplugin = \"token_bucket\"\ncapacity = 10\nrefill_per_second = 0\n";
  f.start(budget + policies_3);
  const auto before = f.runtime->running()->budgets.front().second;
  BOOST_TEST(f.runtime->apply(budget + policies_5, "same.toml").accepted);
  BOOST_TEST(f.runtime->running()->budgets.front().second == before);  // the same object: its tokens

  // Spend some, then shrink the capacity: the new bucket starts from the carried level, clamped.
  const std::string key = "[policies.\"a.B\"]\nretry.budget.name = \"tb\"\n";
  BOOST_TEST(f.runtime->apply(budget + policies_3 + key, "use.toml").accepted);
  (void)f.attempts_of_failing_call("a.B");  // two retries spend two tokens: 8 left
  BOOST_TEST(f.runtime->running()->budgets.front().second->level().value() == 8.0);
  const std::string smaller = plugins_loading("\"token_bucket\"") +
                              "[budgets.tb]\nplugin = \"token_bucket\"\ncapacity = 5\nrefill_per_second = 0\n";
  const auto result = f.runtime->apply(smaller + policies_3 + key, "smaller.toml");
  BOOST_TEST(result.accepted);
  BOOST_TEST(any_contains(result.changes, "budgets.tb: settings changed"));
  BOOST_TEST(f.runtime->running()->budgets.front().second != before);
  BOOST_TEST(f.runtime->running()->budgets.front().second->level().value() == 5.0);
}

BOOST_AUTO_TEST_CASE(an_observer_added_from_a_new_plugin_is_flushed_and_unloaded_when_removed) {
  Fixture f;
  // A copy of its own: other tests of this binary keep the shared plugin directory's loaded.
  const fs::path own = f.dir / "plugins";
  fs::create_directories(own);
  fs::permissions(own, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                           fs::perms::others_exec);
  fs::copy_file(fs::path(plugin_dir) / "librecourse-trace.so", own / "librecourse-trace.so");
  const std::string library = (own / "librecourse-trace.so").string();
  f.start(plugins_loading("\"token_bucket\"") + policies_3);
  BOOST_TEST(!mapped(library));
  const fs::path trace = f.dir / "calls.trace.json";
  const std::string with_trace = "[plugins]\npaths = [\"" + own.string() + "\"]\n" + policies_3 +
                                 "[observers.t]\nplugin = \"trace\"\npath = \"" + trace.string() + "\"\n";
  const auto added = f.runtime->apply(with_trace, "with.toml");
  BOOST_TEST(added.accepted);
  BOOST_TEST(any_contains(added.changes, "observers.t: added (plugin trace)"));
  BOOST_TEST(mapped(library));
  (void)f.attempts_of_failing_call("a.B");
  const auto removed = f.runtime->apply(plugins_loading("\"token_bucket\"") + policies_3, "without.toml");
  BOOST_TEST(removed.accepted);
  BOOST_TEST(any_contains(removed.changes, "observers.t: removed"));
  // No call of its generation runs: it was flushed (the array closed), destroyed, unloaded.
  BOOST_TEST(f.runtime->executor->generations_retiring() == 0u);
  const std::string text = f.read(trace);
  BOOST_TEST(text.starts_with("["));
  BOOST_TEST(text.ends_with("]\n"));
  BOOST_TEST(text.find("\"attempt 2\"") != std::string::npos);
  BOOST_TEST(!mapped(library));
  (void)f.attempts_of_failing_call("a.B");
  BOOST_TEST(f.read(trace) == text);  // nothing after its generation
}

// What a watch reported, waited for (the watcher is its own thread; nothing here sleeps).
struct Results {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<recourse::host::ReloadResult> seen;
  void add(const recourse::host::ReloadResult& r) {
    std::lock_guard lock(mutex);
    seen.push_back(r);
    changed.notify_all();
  }
  // The n-th result (1-based), once it has arrived; fails the test after 20 s.
  recourse::host::ReloadResult wait_for(std::size_t n) {
    std::unique_lock lock(mutex);
    const bool arrived = changed.wait_for(lock, std::chrono::seconds(20), [&] { return seen.size() >= n; });
    BOOST_REQUIRE_MESSAGE(arrived, "no reload result " << n);
    return seen[n - 1];
  }
};

struct WatchFixture : Fixture {
  Results results;
  std::optional<recourse::host::ConfigWatch> watch;
  void start_watching(const fs::path& file) {
    auto config = recourse::host::load_config(file);
    BOOST_REQUIRE(config.has_value());
    auto built = recourse::host::build_runtime(*config, {clock});
    BOOST_REQUIRE(built.has_value());
    runtime = std::move(*built);
    auto watching = runtime->watch({std::chrono::milliseconds(20), [this](const auto& r) { results.add(r); }});
    BOOST_REQUIRE_MESSAGE(watching.has_value(), (watching ? "" : watching.error()));
    watch.emplace(std::move(*watching));
  }
  ~WatchFixture() { watch.reset(); }
};

BOOST_AUTO_TEST_CASE(watch_follows_writes_in_place_and_an_editors_rename) {
  WatchFixture f;
  const fs::path file = f.dir / "recourse.toml";
  std::ofstream(file) << policies_3;
  f.start_watching(file);
  std::ofstream(file) << policies_5;  // in place
  const auto first = f.results.wait_for(1);
  BOOST_TEST(first.accepted);
  BOOST_TEST(f.attempts_of_failing_call("a.B") == 5);
  // An editor: write a temporary file, rename it over the config.
  std::ofstream(f.dir / ".recourse.toml.swp") << "[defaults]\nretry.max_attempts = 2\n";
  fs::rename(f.dir / ".recourse.toml.swp", file);
  const auto second = f.results.wait_for(2);
  BOOST_TEST(second.accepted);
  BOOST_TEST(second.generation == 3u);
  BOOST_TEST(f.attempts_of_failing_call("a.B") == 2);
  // A bad save is refused and the running config stays.
  std::ofstream(file) << "[defaults]\nretry.max_attempts = \"many\"\n";
  const auto third = f.results.wait_for(3);
  BOOST_TEST(!third.accepted);
  BOOST_TEST(f.attempts_of_failing_call("a.B") == 2);
}

BOOST_AUTO_TEST_CASE(watch_follows_a_configmap_symlink_swap) {
  // A Kubernetes ConfigMap volume: recourse.toml -> ..data/recourse.toml, ..data -> ..<version>;
  // an update writes a new version directory and renames a new ..data symlink over the old.
  WatchFixture f;
  const auto version = [&](const std::string& name, const std::string& text) {
    fs::create_directories(f.dir / name);
    std::ofstream(f.dir / name / "recourse.toml") << text;
  };
  version("..2026_12_01_a", policies_3);
  fs::create_directory_symlink("..2026_12_01_a", f.dir / "..data");
  fs::create_symlink("..data/recourse.toml", f.dir / "recourse.toml");
  f.start_watching(f.dir / "recourse.toml");
  BOOST_TEST(f.attempts_of_failing_call("a.B") == 3);
  version("..2026_12_01_b", policies_5);
  fs::create_directory_symlink("..2026_12_01_b", f.dir / "..data_tmp");
  fs::rename(f.dir / "..data_tmp", f.dir / "..data");
  fs::remove_all(f.dir / "..2026_12_01_a");
  const auto result = f.results.wait_for(1);
  BOOST_TEST(result.accepted);
  BOOST_TEST(f.attempts_of_failing_call("a.B") == 5);
}

BOOST_AUTO_TEST_CASE(watch_refuses_a_config_that_came_from_text) {
  Fixture f;
  f.start(policies_3);
  const auto watching = f.runtime->watch();
  BOOST_TEST(!watching.has_value());
  BOOST_TEST(watching.error().find("not read from a file") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
