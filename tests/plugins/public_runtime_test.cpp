// recourse.runtime, the public API a service imports: Runtime::load from a file with its
// plugins, overrides laid over the file (a value replaced, a table merged, an error located at
// "override N"), every load error at once with file:line:col, reload and apply with
// last-known-good, watch (an editor's rename, a bad edit), and the running generation's
// plugins, budgets and observers (a component held past a reload keeps its library).
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <unistd.h>
#include <vector>

import recourse.runtime;

namespace {

namespace fs = std::filesystem;

struct Files {
  fs::path dir = fs::temp_directory_path() / ("recourse-public-" + std::to_string(::getpid()));
  Files() { fs::create_directories(dir); }
  ~Files() { fs::remove_all(dir); }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name) << text;
    return dir / name;
  }
};

// The call fails every attempt, so its attempts are the running policy's max_attempts.
int attempts_of_failing_call(recourse::Runtime& runtime, std::string_view key) {
  int attempts = 0;
  (void)runtime.executor().try_run(key, [&](const recourse::Attempt&) {
    ++attempts;
    return std::make_error_code(std::errc::connection_refused);
  });
  return attempts;
}

recourse::RuntimeOptions virtual_time() {
  recourse::RuntimeOptions options;
  options.clock = std::make_shared<recourse::VirtualClock>();
  return options;
}

const std::string plugins = "[plugins]\npaths = [\"" RECOURSE_PLUGIN_DIR "\"]\nload = [\"token_bucket\"]\n";

const std::string policy = plugins + R"(
[budgets.orders-retries]
plugin = "token_bucket"
capacity = 7
refill_per_second = 0.5

[policies."orders.*"]
retry.max_attempts = 3
retry.initial_backoff = "1ms"
retry.budget = { name = "orders-retries" }
)";

}  // namespace

BOOST_AUTO_TEST_SUITE(public_runtime)

BOOST_AUTO_TEST_CASE(loads_a_file_with_its_plugins_and_runs_calls) {
  Files files;
  auto runtime = recourse::Runtime::load(files.write("recourse.toml", policy), virtual_time());
  BOOST_REQUIRE_MESSAGE(runtime.has_value(), (runtime ? "" : runtime.error().message()));
  BOOST_TEST(runtime->generation() == 1u);
  BOOST_TEST(runtime->config_file() == files.dir / "recourse.toml");
  BOOST_TEST(attempts_of_failing_call(*runtime, "orders.Create") == 3);
  BOOST_TEST(runtime->executor().run("orders.Get", [](const recourse::Attempt&) { return 42; }) == 42);

  const auto loaded = runtime->plugins();
  BOOST_REQUIRE(loaded.size() == 1u);
  BOOST_TEST(loaded[0].file.filename() == "librecourse-token_bucket.so");
  BOOST_TEST(!loaded[0].fingerprint.empty());
  const auto budget = runtime->budget("orders-retries");
  BOOST_REQUIRE(budget != nullptr);
  BOOST_TEST(budget->level().has_value());
  BOOST_TEST(runtime->budget("nothing") == nullptr);
  BOOST_TEST(runtime->observer("nothing") == nullptr);
}

BOOST_AUTO_TEST_CASE(every_load_error_is_reported_with_its_location) {
  Files files;
  const auto file = files.write("bad.toml",
                                "[policies.\"a.*\"]\nretry.max_attempts = \"three\"\n"
                                "retry.jitter = \"sometimes\"\n");
  auto runtime = recourse::Runtime::load(file, virtual_time());
  BOOST_REQUIRE(!runtime.has_value());
  const auto& errors = runtime.error().errors;
  BOOST_REQUIRE(errors.size() == 2u);
  BOOST_TEST(errors[0].where.line == 2u);
  BOOST_TEST(errors[0].field_path == "policies.\"a.*\".retry.max_attempts");
  BOOST_TEST(errors[1].where.line == 3u);
  const std::string message = runtime.error().message();
  BOOST_TEST(message.find(file.string() + ":2:") != std::string::npos, message);
  BOOST_TEST(message.find(file.string() + ":3:") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(a_missing_file_or_a_failing_plugin_is_a_load_error) {
  Files files;
  auto missing = recourse::Runtime::load(files.dir / "absent.toml", virtual_time());
  BOOST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error().message().find("absent.toml") != std::string::npos);

  // A component whose plugin is not loaded: named, with what is known.
  auto unknown = recourse::Runtime::load(files.write("unknown.toml", plugins + "[budgets.b]\nplugin = \"ratio\"\n"),
                                         virtual_time());
  BOOST_REQUIRE(!unknown.has_value());
  BOOST_TEST(unknown.error().message().find("ratio") != std::string::npos, unknown.error().message());
}

BOOST_AUTO_TEST_CASE(overrides_replace_values_and_merge_tables) {
  Files files;
  auto options = virtual_time();
  options.overrides = {"policies.\"orders.*\".retry.max_attempts = 5", "budgets.orders-retries.capacity = 2"};
  auto runtime = recourse::Runtime::load(files.write("recourse.toml", policy), options);
  BOOST_REQUIRE_MESSAGE(runtime.has_value(), (runtime ? "" : runtime.error().message()));
  // The budget kept its plugin and refill (merged), with the new capacity: two retries, so the
  // call stops at three attempts although the policy allows five.
  BOOST_TEST(*runtime->budget("orders-retries")->level() == 2.0);
  BOOST_TEST(attempts_of_failing_call(*runtime, "orders.Create") == 3);
  BOOST_TEST(attempts_of_failing_call(*runtime, "orders.Other") == 1);  // tokens gone
}

BOOST_AUTO_TEST_CASE(overrides_apply_at_every_reload) {
  Files files;
  auto options = virtual_time();
  options.overrides = {"policies.\"orders.*\".retry.max_attempts = 4"};
  const auto file = files.write("recourse.toml", "[policies.\"orders.*\"]\nretry.max_attempts = 2\n");
  auto runtime = recourse::Runtime::load(file, options);
  BOOST_REQUIRE(runtime.has_value());
  BOOST_TEST(attempts_of_failing_call(*runtime, "orders.A") == 4);
  files.write("recourse.toml", "[policies.\"orders.*\"]\nretry.max_attempts = 2\nretry.initial_backoff = \"1ms\"\n");
  const auto reloaded = runtime->reload();
  BOOST_TEST(reloaded.accepted);
  BOOST_TEST(attempts_of_failing_call(*runtime, "orders.A") == 4);
}

BOOST_AUTO_TEST_CASE(an_override_error_names_the_override) {
  Files files;
  auto options = virtual_time();
  options.overrides = {"executor.max_keys = 100", "policies.\"orders.*\".retry.max_attempts = \"many\"",
                       "policies = = 3"};
  auto runtime = recourse::Runtime::load(files.write("recourse.toml", policy), options);
  BOOST_REQUIRE(!runtime.has_value());
  const std::string message = runtime.error().message();
  BOOST_TEST(message.find("override 3:1:") != std::string::npos, message);  // syntax: reported first, alone
  options.overrides.pop_back();
  runtime = recourse::Runtime::load(files.dir / "recourse.toml", options);
  BOOST_REQUIRE(!runtime.has_value());
  BOOST_REQUIRE(runtime.error().errors.size() == 1u);
  BOOST_TEST(runtime.error().errors[0].where.file == "override 2");
  BOOST_TEST(runtime.error().errors[0].field_path == "policies.\"orders.*\".retry.max_attempts");
}

BOOST_AUTO_TEST_CASE(a_refused_reload_keeps_the_running_generation) {
  Files files;
  const auto file = files.write("recourse.toml", "[policies.\"orders.*\"]\nretry.max_attempts = 2\n");
  auto runtime = recourse::Runtime::load(file, virtual_time());
  BOOST_REQUIRE(runtime.has_value());

  files.write("recourse.toml", "[policies.\"orders.*\"]\nretry.max_attempts = [\n");
  const auto refused = runtime->reload();
  BOOST_TEST(!refused.accepted);
  BOOST_TEST(refused.generation == 1u);
  BOOST_REQUIRE(!refused.errors.empty());
  BOOST_TEST(refused.errors[0].where.file == file.string());
  BOOST_TEST(attempts_of_failing_call(*runtime, "orders.A") == 2);

  const auto applied = runtime->apply("[policies.\"orders.*\"]\nretry.max_attempts = 3\n", "pushed.toml");
  BOOST_TEST(applied.accepted);
  BOOST_TEST(applied.generation == 2u);
  BOOST_TEST(!applied.changes.empty());
  BOOST_TEST(runtime->generation() == 2u);
  BOOST_TEST(attempts_of_failing_call(*runtime, "orders.A") == 3);
}

BOOST_AUTO_TEST_CASE(watch_reloads_a_changed_file_and_reports_each_result) {
  Files files;
  const auto file = files.write("recourse.toml", "[policies.\"orders.*\"]\nretry.max_attempts = 2\n");
  auto runtime = recourse::Runtime::load(file, virtual_time());
  BOOST_REQUIRE(runtime.has_value());
  std::mutex mutex;
  std::condition_variable reported;
  std::vector<recourse::ReloadResult> results;
  auto watch =
      runtime->watch({.debounce = std::chrono::milliseconds(20), .on_result = [&](const recourse::ReloadResult& r) {
                        const std::lock_guard lock(mutex);
                        results.push_back(r);
                        reported.notify_all();
                      }});
  BOOST_REQUIRE_MESSAGE(watch.has_value(), (watch ? "" : watch.error()));
  const auto await_results = [&](std::size_t n) {
    std::unique_lock lock(mutex);
    return reported.wait_for(lock, std::chrono::seconds(20), [&] { return results.size() >= n; });
  };
  files.write("recourse.toml.new", "[policies.\"orders.*\"]\nretry.max_attempts = 4\n");
  fs::rename(files.dir / "recourse.toml.new", file);  // an editor's save
  BOOST_REQUIRE(await_results(1));
  BOOST_TEST(results[0].accepted);
  BOOST_TEST(results[0].generation == 2u);
  BOOST_TEST(attempts_of_failing_call(*runtime, "orders.A") == 4);
  files.write("recourse.toml", "[policies.\"orders.*\"]\nretry.max_attempts = \"x\"\n");
  BOOST_REQUIRE(await_results(2));
  BOOST_TEST(!results[1].accepted);
  BOOST_REQUIRE(!results[1].errors.empty());
  BOOST_TEST(results[1].errors[0].where.line == 2u);
  BOOST_TEST(attempts_of_failing_call(*runtime, "orders.A") == 4);  // last known good
}

BOOST_AUTO_TEST_CASE(a_component_held_past_a_reload_keeps_its_library) {
  Files files;
  const auto file = files.write("recourse.toml", policy);
  auto runtime = recourse::Runtime::load(file, virtual_time());
  BOOST_REQUIRE(runtime.has_value());
  std::shared_ptr<recourse::Budget> held = runtime->budget("orders-retries");
  BOOST_REQUIRE(held != nullptr);
  // A reload without the budget or its plugin: the held budget still works (its code is loaded).
  BOOST_REQUIRE(runtime->apply("[policies.\"orders.*\"]\nretry.max_attempts = 2\n", "bare.toml").accepted);
  BOOST_TEST(runtime->plugins().empty());
  BOOST_TEST(attempts_of_failing_call(*runtime, "orders.X") == 2);  // its end reclaims the old generation
  BOOST_TEST(*held->level() == 7.0);
  held.reset();  // destroyed now, with its library still mapped until this last owner lets go
}

BOOST_AUTO_TEST_CASE(a_runtime_from_text_cannot_reload_or_watch) {
  auto runtime = recourse::Runtime::from_text("[defaults]\nretry.max_attempts = 2\n", "inline.toml", virtual_time());
  BOOST_REQUIRE(runtime.has_value());
  BOOST_TEST(runtime->config_file().empty());
  const auto result = runtime->reload();
  BOOST_TEST(!result.accepted);
  BOOST_REQUIRE(result.errors.size() == 1u);
  BOOST_TEST(result.errors[0].message.find("not read from a file") != std::string::npos);
  BOOST_TEST(!runtime->watch().has_value());
  // A moved-to runtime is the same runtime.
  recourse::Runtime moved = std::move(*runtime);
  BOOST_TEST(attempts_of_failing_call(moved, "any.Key") == 2);
}

BOOST_AUTO_TEST_CASE(the_standard_plugin_directory_is_the_default_of_RECOURSE_PLUGIN_DIR) {
  // The plugin tests run with RECOURSE_PLUGIN_DIR set by CTest; unset, the library finds the
  // plugins of its own build tree (<build>/plugins next to <build>/host/librecourse_runtime.so).
  const char* set = std::getenv("RECOURSE_PLUGIN_DIR");
  const std::string saved = set ? set : "";
  ::unsetenv("RECOURSE_PLUGIN_DIR");
  auto runtime = recourse::Runtime::from_text(
      "[plugins]\npaths = [\"${RECOURSE_PLUGIN_DIR}\"]\nload = [\"token_bucket\"]\n", "bundled.toml", virtual_time());
  if (set) ::setenv("RECOURSE_PLUGIN_DIR", saved.c_str(), 1);
  BOOST_REQUIRE_MESSAGE(runtime.has_value(), (runtime ? "" : runtime.error().message()));
  BOOST_REQUIRE(runtime->plugins().size() == 1u);
  BOOST_TEST(fs::equivalent(runtime->plugins()[0].file.parent_path(), RECOURSE_PLUGIN_DIR));
}

BOOST_AUTO_TEST_SUITE_END()
