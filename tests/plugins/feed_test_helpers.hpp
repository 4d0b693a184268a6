// What the tests of the feed providers (plugins/providers/*/*_test.cpp) share: a runtime built
// from a config text with a recorder of its configuration events, the questions a test asks it
// (how many attempts a key's policy gives, where the policy came from, the feed's status), and
// bounded waits — a test that waits for something that never comes fails, it does not hang.
#pragma once

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

import recourse.host.runtime;

namespace feed_test {

using namespace std::chrono_literals;

// Every configuration event the runtime's observers hear, to wait on.
class ConfigEvents final : public recourse::Observer {
 public:
  void on_config(const recourse::ConfigEvent& event) override {
    const std::lock_guard lock(mutex_);
    events_.push_back(event);
    changed_.notify_all();
  }
  std::size_t size() {
    const std::lock_guard lock(mutex_);
    return events_.size();
  }
  // Waits (bounded) for an event after the first `after` that matches.
  std::optional<recourse::ConfigEvent> wait_for(std::size_t after,
                                                const std::function<bool(const recourse::ConfigEvent&)>& match,
                                                std::chrono::milliseconds bound = 20s) {
    std::unique_lock lock(mutex_);
    std::optional<recourse::ConfigEvent> found;
    changed_.wait_for(lock, bound, [&] {
      for (std::size_t i = after; i < events_.size(); ++i)
        if (match(events_[i])) {
          found = events_[i];
          return true;
        }
      return false;
    });
    return found;
  }
  // A refusal after the first `after` with an error containing `fragment`.
  std::optional<recourse::ConfigEvent> wait_for_error(std::size_t after, std::string_view fragment,
                                                      std::chrono::milliseconds bound = 20s) {
    return wait_for(
        after,
        [&](const recourse::ConfigEvent& e) {
          if (e.accepted) return false;
          for (const std::string& error : e.errors)
            if (error.find(fragment) != std::string::npos) return true;
          return false;
        },
        bound);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<recourse::ConfigEvent> events_;
};

inline const auto accepted = [](const recourse::ConfigEvent& e) { return e.accepted; };

// Polls `done` every millisecond for at most `bound`; true when it held.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds bound = 20s) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// A runtime built from `text` (which must load), its configuration events recorded.
struct Running {
  std::shared_ptr<ConfigEvents> events = std::make_shared<ConfigEvents>();
  std::unique_ptr<recourse::host::Runtime> runtime;

  explicit Running(const std::string& text, const std::string& label = "rt.toml") {
    auto parsed = recourse::host::parse_config(text, label);
    BOOST_REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : recourse::host::to_string(parsed.error())));
    recourse::host::RuntimeOptions options;
    options.extra_observers.push_back(events);
    auto built = recourse::host::build_runtime(*parsed, std::move(options));
    BOOST_REQUIRE_MESSAGE(built.has_value(), (built ? "" : recourse::host::to_string(built.error())));
    runtime = std::move(*built);
  }

  // The attempts a failing call of `key` gets: its policy's max_attempts (0: no policy, denied).
  int attempts(std::string_view key) {
    auto result = runtime->executor->try_run(
        key, [](const recourse::Attempt&) -> std::expected<int, int> { return std::unexpected(1); });
    BOOST_REQUIRE(!result);
    return result.error().attempts;
  }
  // One failing call of `key`, for threads other than the test's: Boost.Test's macros are not
  // thread-safe (their checkpoint is a shared string), so nothing here asserts.
  void call(std::string_view key) {
    (void)runtime->executor->try_run(
        key, [](const recourse::Attempt&) -> std::expected<int, int> { return std::unexpected(1); });
  }
  recourse::PolicySource source(std::string_view key) {
    recourse::Timeline timeline;
    (void)runtime->executor->try_run(key, [](const recourse::Attempt&) { return 1; }, {.timeline = &timeline});
    return timeline.policy_source;
  }
  std::uint64_t generation() { return runtime->executor->generation(); }
  recourse::FeedStatus status() { return runtime->running()->feed->status(); }
};

// The errors a config text is refused with, all in one string; empty when it loads.
inline std::string refusal(const std::string& text, const std::string& label = "rt.toml") {
  auto parsed = recourse::host::parse_config(text, label);
  if (!parsed) return recourse::host::to_string(parsed.error());
  auto built = recourse::host::build_runtime(*parsed, {});
  return built ? std::string() : recourse::host::to_string(built.error());
}

}  // namespace feed_test
