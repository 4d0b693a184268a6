// The log observer, loaded from librecourse-log.so, writing through the host's logger (a
// recording one here): one line per attempt and per call with their fields, the configured
// level (failed calls at warn or higher), quoting that keeps each event on one line, config
// refusals, and — end to end — a real Executor's retried call.
// Shared scaffolding: tests/plugins/observer_test_helpers.hpp.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "observer_test_helpers.hpp"
#include "plugin_harness.hpp"

using namespace std::chrono_literals;
using observer_test_helpers::contains;
using observer_test_helpers::field_paths;
using observer_test_helpers::finish;
using observer_test_helpers::make_observer;
using observer_test_helpers::refusal;
using observer_test_helpers::retried_call;
using observer_test_helpers::run_flaky_call;
using plugin_harness::Table;
using recourse::Timeline;

namespace {

// The host's logger, as the log observer sees it: records every line with its level.
class RecordingLogger final : public recourse::Logger {
 public:
  void log(recourse::LogLevel level, std::string_view message) noexcept override {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(level, std::string(message));
  }
  std::vector<std::pair<recourse::LogLevel, std::string>> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<recourse::LogLevel, std::string>> lines_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(log_observer)

BOOST_AUTO_TEST_CASE(writes_one_line_per_attempt_with_key_policy_index_outcome_durations_and_budget) {
  RecordingLogger logger;
  const auto observer = make_observer("log", Table(), &logger);
  finish(*observer, retried_call(), true);
  const auto lines = logger.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 3u);
  BOOST_TEST(lines[0].second ==
             "attempt key=shop.Checkout policy=shop.* attempt=0 retry=0 hedge=0 kind=retryable reason=http_503 "
             "duration=2.000ms backoff=0.000ms");
  BOOST_TEST(lines[1].second ==
             "attempt key=shop.Checkout policy=shop.* attempt=1 retry=1 hedge=0 kind=success reason=success "
             "duration=1.500ms backoff=10.000ms budget=allowed");
}

BOOST_AUTO_TEST_CASE(writes_one_line_per_call_with_the_final_reason_attempt_count_and_duration) {
  RecordingLogger logger;
  const auto observer = make_observer("log", Table(), &logger);
  Timeline t = retried_call();
  t.final_reason = "max_attempts";
  t.modes_used = {"policy:fallback", "budget:deny"};
  t.cardinality_limited = true;
  finish(*observer, t, false);
  BOOST_TEST(logger.lines().back().second ==
             "call key=shop.Checkout policy=shop.* source=static outcome=failure reason=max_attempts attempts=2 "
             "duration=13.500ms modes=policy:fallback,budget:deny cardinality_limited=true");
}

BOOST_AUTO_TEST_CASE(logs_at_the_configured_level_and_failed_calls_at_warn_or_higher) {
  using recourse::LogLevel;
  RecordingLogger debug_logger;
  const auto debug = make_observer("log", Table().add("level", "debug"), &debug_logger);
  finish(*debug, retried_call(), true);
  finish(*debug, retried_call(), false);
  const auto d = debug_logger.lines();
  BOOST_REQUIRE_EQUAL(d.size(), 6u);
  BOOST_TEST((d[0].first == LogLevel::debug && d[1].first == LogLevel::debug));
  BOOST_TEST((d[2].first == LogLevel::debug));  // a successful call
  BOOST_TEST((d[5].first == LogLevel::warn));   // a failed one stands out

  RecordingLogger default_logger;
  finish(*make_observer("log", Table(), &default_logger), retried_call(), true);
  BOOST_TEST((default_logger.lines()[0].first == LogLevel::info));

  RecordingLogger error_logger;
  const auto error = make_observer("log", Table().add("level", "error"), &error_logger);
  finish(*error, retried_call(), false);
  for (const auto& [level, line] : error_logger.lines()) BOOST_TEST((level == LogLevel::error), line);
}

BOOST_AUTO_TEST_CASE(quotes_values_with_spaces_quotes_or_newlines_so_each_event_stays_on_one_line) {
  RecordingLogger logger;
  const auto observer = make_observer("log", Table(), &logger);
  finish(*observer, retried_call("we ird\"key=\n"), true);
  for (const auto& [level, line] : logger.lines()) {
    BOOST_TEST(!contains(line, "\n"), line);
    BOOST_TEST(contains(line, R"( key="we ird\"key=\n" )"), line);
  }
}

BOOST_AUTO_TEST_CASE(reports_a_key_past_the_cardinality_limit_at_warn) {
  RecordingLogger logger;
  make_observer("log", Table(), &logger)->on_cardinality_exceeded("users.u12345");
  BOOST_REQUIRE_EQUAL(logger.lines().size(), 1u);
  BOOST_TEST((logger.lines()[0].first == recourse::LogLevel::warn));
  BOOST_TEST(logger.lines()[0].second == "cardinality_exceeded key=users.u12345");
}

BOOST_AUTO_TEST_CASE(accepts_its_plugin_field_and_refuses_unknown_fields_and_levels_all_at_once) {
  RecordingLogger logger;
  make_observer("log", Table().add("plugin", "log").add("level", "warn"), &logger);
  const auto errors =
      refusal("log", Table().add("plugin", "log").add("level", "verbose").add("levle", "info"), &logger);
  BOOST_REQUIRE_EQUAL(errors.size(), 2u);
  BOOST_TEST((field_paths(errors) == std::set<std::string>{"test.level", "test.levle"}));
  const std::string all = recourse::to_string(errors[0]) + "\n" + recourse::to_string(errors[1]);
  BOOST_TEST(contains(all, "unknown field \"levle\""), all);
  BOOST_TEST(contains(all, "unknown log level \"verbose\""), all);
}

BOOST_AUTO_TEST_CASE(refuses_a_level_that_is_not_a_string) {
  RecordingLogger logger;
  const auto errors = refusal("log", Table().add("level", 3), &logger);
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0].field_path == "test.level");
  BOOST_TEST(contains(errors[0].message, "expected a string"), errors[0].message);
}

BOOST_AUTO_TEST_CASE(refuses_to_start_without_a_host_logger) {
  const auto errors = refusal("log", Table());
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(contains(errors[0].message, "no logger"), errors[0].message);
}

BOOST_AUTO_TEST_CASE(an_executor_call_that_fails_twice_then_succeeds_logs_three_attempts_and_the_call) {
  RecordingLogger logger;
  run_flaky_call(make_observer("log", Table(), &logger), "shop.Checkout");
  const auto lines = logger.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 4u);
  BOOST_TEST(contains(lines[0].second,
                      "attempt=0 retry=0 hedge=0 kind=retryable reason=retryable_error "
                      "duration=2.000ms backoff=0.000ms"),
             lines[0].second);
  BOOST_TEST(contains(lines[1].second,
                      "attempt=1 retry=1 hedge=0 kind=retryable reason=retryable_error "
                      "duration=2.000ms backoff=10.000ms budget=no_budget"),
             lines[1].second);
  BOOST_TEST(contains(lines[2].second,
                      "attempt=2 retry=2 hedge=0 kind=success reason=success "
                      "duration=2.000ms backoff=20.000ms budget=no_budget"),
             lines[2].second);
  BOOST_TEST(contains(lines[3].second, "call key=shop.Checkout "), lines[3].second);
  BOOST_TEST(contains(lines[3].second, " outcome=success reason=success attempts=3 duration=36.000ms"),
             lines[3].second);
}

BOOST_AUTO_TEST_SUITE_END()
