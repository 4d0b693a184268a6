// From TOML to a working executor with plugins: components referenced by name, parameters
// validated by each component, typos reported with the known names.
#include <boost/test/unit_test.hpp>

#include <expected>
#include <memory>
#include <optional>
#include <system_error>
#include <stdexcept>
#include <string>
#include <vector>

#include "plugin_harness.hpp"

namespace {

const std::string plugins_table = std::string("[plugins]\npaths = [\"") + RECOURSE_PLUGIN_DIR + "\"]\n";

std::vector<std::string> runtime_errors(const std::string& toml) {
  auto config = recourse::host::parse_config(toml, "rt.toml");
  BOOST_REQUIRE_MESSAGE(config.has_value(), (config ? "" : recourse::host::to_string(config.error())));
  auto runtime = recourse::host::build_runtime(*config, {std::make_shared<recourse::VirtualClock>()});
  BOOST_REQUIRE_MESSAGE(!runtime.has_value(), "expected the runtime to be refused");
  std::vector<std::string> lines;
  for (const auto& e : runtime.error().errors) lines.push_back(recourse::to_string(e));
  return lines;
}

bool contains(const std::vector<std::string>& lines, std::string_view fragment) {
  for (const auto& l : lines)
    if (l.find(fragment) != std::string::npos) return true;
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_config)

BOOST_AUTO_TEST_CASE(a_policy_naming_an_unknown_classifier_lists_the_known_ones) {
  const auto errors = runtime_errors(plugins_table + "[policies.\"a.b\"]\nretry.classifier = \"htp\"\n");
  BOOST_TEST(contains(errors, "rt.toml:4:20: policies.\"a.b\".retry.classifier: no classifier named \"htp\"; known: always, errno, grpc, http, never"),
             errors.front());
}

BOOST_AUTO_TEST_CASE(a_policy_naming_an_unknown_budget_or_backoff_is_an_error) {
  const auto errors =
      runtime_errors("[defaults]\nretry.budget.name = \"ghost\"\nretry.backoff = \"exponentail\"\n");
  BOOST_TEST(contains(errors, "retry.budget.name: no budget named \"ghost\""));
  BOOST_TEST(contains(errors, "retry.backoff: no backoff strategy named \"exponentail\"; known: constant, exponential"));
}

BOOST_AUTO_TEST_CASE(a_budget_that_fails_to_build_is_one_error_not_two) {
  const auto errors = runtime_errors(plugins_table + "[budgets.tb]\nbackend = \"token_bucket\"\ncapacity = -1\n"
                                     "[policies.\"a.B\"]\nretry.budget.name = \"tb\"\n");
  BOOST_TEST(contains(errors, "budgets.tb.capacity: out of range"));
  BOOST_TEST(!contains(errors, "no budget named"), errors.front());
}

BOOST_AUTO_TEST_CASE(an_unknown_budget_backend_or_observer_plugin_lists_what_exists) {
  const auto errors = runtime_errors(plugins_table +
                                     "[budgets.b]\nbackend = \"tokn_bucket\"\n[observers.o]\nplugin = \"jsnol\"\n");
  BOOST_TEST(contains(errors, "budgets.b.backend: no budget backend named \"tokn_bucket\"; known: unlimited"));
  BOOST_TEST(contains(errors, "no observer plugin named \"jsnol\""));
}

BOOST_AUTO_TEST_CASE(component_parameters_are_validated_by_the_component) {
  const auto errors = runtime_errors(plugins_table + "[classifiers.c]\nplugin = \"grpc\"\nretryable_codes = [\"NOPE\"]\n");
  BOOST_TEST(contains(errors, "rt.toml:5:"), errors.front());
  BOOST_TEST(contains(errors, "unknown gRPC code \"NOPE\""));
}

BOOST_AUTO_TEST_CASE(a_configured_runtime_runs_calls_with_plugin_components) {
  auto config = recourse::host::parse_config(plugins_table + R"(
[classifiers.strict_grpc]
plugin = "grpc"
retryable_codes = ["UNAVAILABLE"]

[backoffs.steady]
plugin = "linear"
step = "0s"

[policies."users.*"]
retry.classifier = "strict_grpc"
retry.backoff = "steady"
retry.max_attempts = 4
)",
                                             "rt.toml");
  BOOST_REQUIRE(config.has_value());
  auto clock = std::make_shared<recourse::VirtualClock>();
  auto runtime = recourse::host::build_runtime(*config, {clock});
  BOOST_REQUIRE_MESSAGE(runtime.has_value(), (runtime ? "" : recourse::host::to_string(runtime.error())));
  struct Reply {
    int code;
  };
  int calls = 0;
  recourse::Timeline timeline;
  const auto result = (*runtime)->executor->try_run(
      "users.Get",
      [&](const recourse::Attempt&) -> std::expected<int, std::error_code> {
        ++calls;
        return std::unexpected(std::make_error_code(std::errc::io_error));
      },
      {.timeline = &timeline});
  // No gRPC status: the grpc classifier calls it UNKNOWN, not retryable.
  BOOST_TEST(result.error().reason == "grpc_unknown");
  BOOST_TEST(calls == 1);
  BOOST_TEST(timeline.policy_id == "users.*");
}

BOOST_AUTO_TEST_CASE(a_failure_outlives_the_runtime_and_its_plugins) {
  auto config = recourse::host::parse_config(plugins_table + "[defaults]\nretry.classifier = \"errno\"\n", "rt.toml");
  BOOST_REQUIRE(config.has_value());
  std::optional<recourse::Failure> failure;
  {
    auto runtime = recourse::host::build_runtime(*config, {std::make_shared<recourse::VirtualClock>()});
    BOOST_REQUIRE(runtime.has_value());
    auto result = (*runtime)->executor->try_run("db.Connect", [](const recourse::Attempt&) {
      return std::make_error_code(std::errc::permission_denied);  // EACCES: not retryable
    });
    BOOST_REQUIRE(!result.has_value());
    failure = std::move(result.error());
  }  // the executor and the errno plugin's library are gone; the reason must not be
  BOOST_TEST(failure->reason == "errno_eacces");
}

BOOST_AUTO_TEST_SUITE_END()
