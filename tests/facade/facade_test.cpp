// recourse_facade_tests: the process-wide runtime behind recourse::run. The facade's state is
// the process's, so CTest runs each case in a process of its own (--run_test=<case>,
// tests/CMakeLists.txt): every case starts with nothing installed.
#define BOOST_TEST_MODULE recourse_facade_tests
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <expected>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <source_location>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

import recourse.runtime;

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "recourse-facade-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  // Written whole and renamed into place, as editors save: a watch that reads the file while a
  // write in place is under way could see it empty (docs/status.md).
  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path file = path / name;
    const fs::path temporary = path / (name + ".tmp");
    std::ofstream(temporary) << text;
    fs::rename(temporary, file);
    return file;
  }
};

// Fails every time with a retryable error: the attempts it gets are the policy's max_attempts.
const auto failing = [](const recourse::Attempt&) -> std::expected<int, int> { return std::unexpected(7); };
const auto succeeding = [](const recourse::Attempt&) { return 42; };

// The policy a facade call of `key` ran under, from its timeline.
recourse::Timeline timeline_of(std::string_view key) {
  recourse::Timeline timeline;
  BOOST_TEST(recourse::run(key, succeeding, {.timeline = &timeline}) == 42);
  return timeline;
}

int attempts_of_failing(std::string_view key) {
  auto result = recourse::try_run(key, failing);
  BOOST_REQUIRE(!result);
  return result.error().attempts;
}

// "[policies."facade.*"] retry.max_attempts = N" with no backoff to wait through.
std::string policy_with_attempts(int attempts, std::string_view pattern = "facade.*") {
  std::ostringstream text;
  text << "[policies.\"" << pattern << "\"]\nretry.max_attempts = " << attempts
       << "\nretry.initial_backoff = \"0s\"\nretry.jitter = \"none\"\n";
  return text.str();
}

// Standard error into a file while it lives (the built-in runtime logs through spdlog there).
class CapturedStderr {
 public:
  explicit CapturedStderr(const fs::path& file) : file_(file) {
    std::fflush(stderr);
    saved_ = ::dup(2);
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~CapturedStderr() { restore(); }
  std::string text() {
    restore();
    std::ifstream in(file_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  fs::path file_;
  int saved_ = -1;
};

std::size_t count(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(before_install_the_builtin_policy_runs_and_says_so_once) {
  TempDir dir;
  BOOST_TEST(recourse::default_runtime() == nullptr);
  BOOST_TEST(!recourse::installed_at());
  std::string logged;
  {
    CapturedStderr captured(dir.path / "stderr");
    const recourse::Timeline first = timeline_of("facade.Early");
    BOOST_TEST((first.policy_source == recourse::PolicySource::builtin_default));
    // The built-in policy's attempts, as the core defines them.
    BOOST_TEST(attempts_of_failing("facade.Early") == recourse::RetryPolicy{}.max_attempts);
    static const auto handle = *recourse::KeyHandle::intern("facade.Handle");
    BOOST_TEST(recourse::run(handle, succeeding) == 42);
    logged = captured.text();
  }
  BOOST_TEST(count(logged, "before recourse::install") == 1u, logged);
  BOOST_TEST(logged.find("\"facade.Early\"") != std::string::npos, logged);
  BOOST_TEST(recourse::default_runtime() == nullptr);  // the built-in one is not "installed"

  const fs::path file = dir.write("recourse.toml", policy_with_attempts(2));
  BOOST_REQUIRE(recourse::install(file));
  BOOST_TEST(recourse::default_runtime() != nullptr);
  const recourse::Timeline after = timeline_of("facade.Early");
  BOOST_TEST((after.policy_source == recourse::PolicySource::static_config));
  BOOST_TEST(after.policy_id == "facade.*");
  BOOST_TEST(attempts_of_failing("facade.Early") == 2);
  BOOST_TEST(&recourse::default_executor() == &recourse::default_runtime()->executor());
}

BOOST_AUTO_TEST_CASE(a_second_install_is_refused_and_names_the_first) {
  TempDir dir;
  const fs::path first = dir.write("first.toml", policy_with_attempts(2));
  const fs::path second = dir.write("second.toml", policy_with_attempts(5));
  const std::source_location here = std::source_location::current();
  BOOST_REQUIRE(recourse::install(first, {}, here));
  BOOST_REQUIRE(recourse::installed_at());
  BOOST_TEST(recourse::installed_at()->line == here.line());
  BOOST_TEST(recourse::installed_at()->file == here.file_name());

  for (const auto& refused : {recourse::install(second), recourse::install(*recourse::Runtime::load(second)),
                              recourse::install(recourse::InstallOptions{})}) {
    BOOST_REQUIRE(!refused);
    BOOST_TEST((refused.error().reason == recourse::InstallError::Reason::already_installed));
    const std::string message = refused.error().message();
    BOOST_TEST(message.find("facade_test.cpp:" + std::to_string(here.line())) != std::string::npos, message);
    BOOST_TEST(message.find(first.string()) != std::string::npos, message);
  }
  BOOST_TEST(attempts_of_failing("facade.Charge") == 2);  // the first stays in force
}

BOOST_AUTO_TEST_CASE(install_reads_the_file_recourse_config_names) {
  TempDir dir;
  ::unsetenv("RECOURSE_CONFIG");
  auto unset = recourse::install();
  BOOST_REQUIRE(!unset);
  BOOST_TEST((unset.error().reason == recourse::InstallError::Reason::no_config));
  BOOST_TEST(unset.error().message().find("RECOURSE_CONFIG") != std::string::npos);

  // A bad file: every error located, nothing installed.
  const fs::path bad = dir.write("bad.toml", "[policies.\"facade.*\"]\nretry.max_attempts = \"many\"\n");
  ::setenv("RECOURSE_CONFIG", bad.c_str(), 1);
  auto refused = recourse::install();
  BOOST_REQUIRE(!refused);
  BOOST_TEST((refused.error().reason == recourse::InstallError::Reason::load_failed));
  BOOST_TEST(refused.error().message().find(bad.string() + ":2:") != std::string::npos, refused.error().message());
  BOOST_TEST(refused.error().message().find("retry.max_attempts") != std::string::npos, refused.error().message());
  BOOST_TEST(recourse::default_runtime() == nullptr);
  auto missing = recourse::install(dir.path / "missing.toml");
  BOOST_REQUIRE(!missing);
  BOOST_TEST(missing.error().message().find("missing.toml") != std::string::npos, missing.error().message());

  const fs::path good = dir.write("good.toml", policy_with_attempts(4));
  ::setenv("RECOURSE_CONFIG", good.c_str(), 1);
  BOOST_REQUIRE(recourse::install());
  BOOST_TEST(recourse::default_runtime()->config_file() == good);
  BOOST_TEST(attempts_of_failing("facade.Get") == 4);
}

BOOST_AUTO_TEST_CASE(a_test_swaps_in_a_virtual_clock_runtime_and_the_installed_one_comes_back) {
  TempDir dir;
  BOOST_REQUIRE(recourse::install(dir.write("recourse.toml", policy_with_attempts(1))));
  recourse::Runtime* installed = recourse::default_runtime();

  auto clock = std::make_shared<recourse::VirtualClock>();
  const std::string slow =
      "[policies.\"facade.*\"]\nretry.max_attempts = 4\nretry.initial_backoff = \"1s\"\n"
      "retry.max_backoff = \"10s\"\nretry.jitter = \"none\"\n";
  {
    recourse::ScopedDefaultRuntime swap(*recourse::Runtime::from_text(slow, "test policy", {.clock = clock}));
    BOOST_TEST(recourse::default_runtime() == &swap.runtime());
    BOOST_TEST(attempts_of_failing("facade.Pay") == 4);
    // 1 s + 2 s + 4 s of backoff, in virtual time.
    BOOST_TEST((clock->now() - recourse::TimePoint{} == recourse::Duration(7s)));
    {
      recourse::ScopedDefaultRuntime inner(*recourse::Runtime::from_text(policy_with_attempts(3), "inner"));
      BOOST_TEST(attempts_of_failing("facade.Pay") == 3);
    }
    BOOST_TEST(attempts_of_failing("facade.Pay") == 4);
  }
  BOOST_TEST(recourse::default_runtime() == installed);
  BOOST_TEST(attempts_of_failing("facade.Pay") == 1);
}

BOOST_AUTO_TEST_CASE(a_swap_before_any_install_ends_in_the_builtin_policy) {
  {
    recourse::ScopedDefaultRuntime swap(*recourse::Runtime::from_text(policy_with_attempts(2), "swap"));
    BOOST_TEST(timeline_of("facade.X").policy_id == "facade.*");
  }
  BOOST_TEST(recourse::default_runtime() == nullptr);
  BOOST_TEST((timeline_of("facade.X").policy_source == recourse::PolicySource::builtin_default));
}

BOOST_AUTO_TEST_CASE(the_facade_reloads_with_the_installed_runtime) {
  TempDir dir;
  const fs::path file = dir.write("recourse.toml", policy_with_attempts(2, "facade.A"));
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<recourse::ReloadResult> results;
  recourse::InstallOptions options;
  options.watch = true;
  options.watch_options.debounce = 20ms;
  options.watch_options.on_result = [&](const recourse::ReloadResult& result) {
    const std::lock_guard lock(mutex);
    results.push_back(result);
    changed.notify_all();
  };
  BOOST_REQUIRE(recourse::install(file, std::move(options)));
  BOOST_TEST(timeline_of("facade.A").policy_id == "facade.A");
  BOOST_TEST(attempts_of_failing("facade.A") == 2);

  // An explicit reload.
  dir.write("recourse.toml", policy_with_attempts(3, "facade.*"));
  const recourse::ReloadResult reloaded = recourse::default_runtime()->reload();
  BOOST_TEST(reloaded.accepted);
  BOOST_TEST(timeline_of("facade.A").policy_id == "facade.*");
  BOOST_TEST(attempts_of_failing("facade.A") == 3);

  // The watch the facade keeps: a bad edit is refused (the last good policy stays), a good one
  // is taken. Each waits for the watch's result, not for time; the watch may also report the
  // write above (read by reload() first), so each waits for a result of its own kind.
  const auto wait_for = [&](std::size_t after, bool accepted) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 30s, [&] {
      for (std::size_t i = after; i < results.size(); ++i)
        if (results[i].accepted == accepted) return true;
      return false;
    });
  };
  const auto seen = [&] {
    const std::lock_guard lock(mutex);
    return results.size();
  };
  std::size_t before = seen();
  dir.write("recourse.toml", "[policies.\"facade.*\"\nretry.max_attempts = 9\n");
  BOOST_REQUIRE(wait_for(before, false));
  BOOST_TEST(attempts_of_failing("facade.A") == 3);
  before = seen();
  dir.write("recourse.toml", policy_with_attempts(5, "facade.*"));
  BOOST_REQUIRE(wait_for(before, true));
  BOOST_TEST(attempts_of_failing("facade.A") == 5);
}

BOOST_AUTO_TEST_CASE(install_takes_a_runtime_built_by_the_caller_and_one_of_two_racing_installs_wins) {
  TempDir dir;
  const fs::path file = dir.write("recourse.toml", policy_with_attempts(2));
  std::atomic<int> ready{0};
  std::vector<std::expected<void, recourse::InstallError>> results(2, std::expected<void, recourse::InstallError>{});
  std::vector<std::thread> installers;
  for (int t = 0; t < 2; ++t)
    installers.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < 2) std::this_thread::yield();
      results[t] = t == 0 ? recourse::install(*recourse::Runtime::from_text(policy_with_attempts(3), "built in code"))
                          : recourse::install(file);
    });
  for (auto& installer : installers) installer.join();
  BOOST_TEST((results[0].has_value() != results[1].has_value()));  // exactly one
  const int winner = results[0] ? 0 : 1;
  BOOST_TEST((results[1 - winner].error().reason == recourse::InstallError::Reason::already_installed));
  BOOST_TEST(attempts_of_failing("facade.Won") == (winner == 0 ? 3 : 2));
  BOOST_TEST(recourse::default_runtime()->config_file() == (winner == 0 ? fs::path() : file));
}

// A logger that asks the facade while it is told about the install (and about a refused one)
// must not deadlock it.
class FacadeAskingLogger final : public recourse::Logger {
 public:
  void log(recourse::LogLevel, std::string_view message) noexcept override {
    asked_runtime = recourse::default_runtime() != nullptr;
    asked_site = recourse::installed_at().has_value();
    messages.emplace_back(message);
  }
  bool asked_runtime = false;
  bool asked_site = false;
  std::vector<std::string> messages;
};

BOOST_AUTO_TEST_CASE(a_logger_that_calls_the_facade_does_not_deadlock_it) {
  TempDir dir;
  auto logger = std::make_shared<FacadeAskingLogger>();
  recourse::InstallOptions options;
  options.runtime.logger = logger;
  BOOST_REQUIRE(recourse::install(dir.write("recourse.toml", policy_with_attempts(2)), std::move(options)));
  BOOST_TEST(logger->asked_runtime);
  BOOST_TEST(logger->asked_site);
  BOOST_REQUIRE(!recourse::install(dir.write("other.toml", policy_with_attempts(3))));
  BOOST_REQUIRE(logger->messages.size() >= 2u);
  BOOST_TEST(logger->messages.back().find("already installed") != std::string::npos, logger->messages.back());
}

BOOST_AUTO_TEST_CASE(guards_ending_out_of_order_leave_the_innermost_other_in_force) {
  auto outer =
      std::make_unique<recourse::ScopedDefaultRuntime>(*recourse::Runtime::from_text(policy_with_attempts(2), "outer"));
  auto inner =
      std::make_unique<recourse::ScopedDefaultRuntime>(*recourse::Runtime::from_text(policy_with_attempts(3), "inner"));
  BOOST_TEST(attempts_of_failing("facade.Nested") == 3);
  outer.reset();  // the outer ends first: the inner stays in force
  BOOST_TEST(attempts_of_failing("facade.Nested") == 3);
  inner.reset();
  BOOST_TEST(recourse::default_runtime() == nullptr);
  BOOST_TEST((timeline_of("facade.Nested").policy_source == recourse::PolicySource::builtin_default));
}

// Calls from several threads before, during and after an install and reloads: each runs under
// one of the policies in force (TSan: the executor pointer is published safely).
BOOST_AUTO_TEST_CASE(calls_race_the_install_and_reloads) {
  TempDir dir;
  const fs::path file = dir.write("recourse.toml", policy_with_attempts(2));
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0};
  std::mutex seen_mutex;
  std::set<int> attempts_seen;
  std::vector<std::thread> callers;
  for (int t = 0; t < 2; ++t)
    callers.emplace_back([&] {
      std::set<int> mine;
      while (!stop.load()) {
        auto result = recourse::try_run("facade.Race", failing);
        mine.insert(result ? -1 : result.error().attempts);
        calls.fetch_add(1);
      }
      const std::lock_guard lock(seen_mutex);
      attempts_seen.insert(mine.begin(), mine.end());
    });
  while (calls.load() < 10) std::this_thread::yield();
  BOOST_REQUIRE(recourse::install(file));
  for (int round = 0; round < 20; ++round) {
    dir.write("recourse.toml", policy_with_attempts(round % 2 == 0 ? 1 : 2));
    BOOST_TEST(recourse::default_runtime()->reload().accepted);
    const int target = calls.load() + 4;
    while (calls.load() < target) std::this_thread::yield();
  }
  stop = true;
  for (auto& caller : callers) caller.join();
  // The built-in policy's 3 attempts (before the install) and the file's 1 and 2; never a
  // success, never anything else.
  const std::set<int> expected{1, 2, recourse::RetryPolicy{}.max_attempts};
  BOOST_TEST(attempts_seen == expected, "attempts seen: " << attempts_seen.size());
  BOOST_TEST(recourse::default_runtime()->generation() == 21u);
}
