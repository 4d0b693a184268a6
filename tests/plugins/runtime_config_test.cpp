// From TOML to a working executor with plugins: components referenced by name, parameters
// validated by each component, typos reported with the known names and a "did you mean",
// and only the components something uses created (so an unused one can fail nothing).
#include <boost/test/unit_test.hpp>

#include <expected>
#include <filesystem>
#include <fstream>
#include <memory>
#include <utility>
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
  BOOST_TEST(contains(errors,
                      "rt.toml:4:20: policies.\"a.b\".retry.classifier: no classifier named \"htp\" (did you mean "
                      "http?); known: always, errno, grpc, http, never"),
             errors.front());
}

BOOST_AUTO_TEST_CASE(a_policy_naming_an_unknown_budget_or_backoff_is_an_error) {
  const auto errors = runtime_errors("[defaults]\nretry.budget.name = \"ghost\"\nretry.backoff = \"exponentail\"\n");
  BOOST_TEST(contains(errors, "retry.budget.name: no budget named \"ghost\""));
  BOOST_TEST(contains(errors,
                      "retry.backoff: no backoff strategy named \"exponentail\" (did you mean exponential?); known: "
                      "constant, exponential"));
}

BOOST_AUTO_TEST_CASE(a_budget_that_fails_to_build_is_one_error_not_two) {
  const auto errors = runtime_errors(plugins_table +
                                     "[budgets.tb]\nplugin = \"token_bucket\"\ncapacity = -1\n"
                                     "[policies.\"a.B\"]\nretry.budget.name = \"tb\"\n");
  BOOST_TEST(contains(errors, "budgets.tb.capacity: out of range"));
  BOOST_TEST(!contains(errors, "no budget named"), errors.front());
}

// Issue 10 item 20: after a budget failed to build, the known list still names it.
BOOST_AUTO_TEST_CASE(a_budget_that_fails_to_build_is_still_a_known_name) {
  const auto errors = runtime_errors(plugins_table +
                                     "[budgets.tb]\nplugin = \"token_bucket\"\ncapacity = -1\n"
                                     "[policies.\"a.B\"]\nretry.budget.name = \"tbb\"\n");
  BOOST_TEST(contains(errors, "retry.budget.name: no budget named \"tbb\" (did you mean tb?); known: tb"),
             errors.back());
  const auto none = runtime_errors("[defaults]\nretry.budget.name = \"ghost\"\n");
  BOOST_TEST(contains(none, "no budget named \"ghost\"; known: none"), none.front());
}

// Issue 10 item 20: component names get a "did you mean", as field names do.
BOOST_AUTO_TEST_CASE(a_misspelt_component_name_suggests_the_close_one) {
  const auto errors =
      runtime_errors(plugins_table +
                     "[classifiers.internal_http]\nplugin = \"http\"\n"
                     "[policies.\"a.B\"]\nretry.classifier = \"internal_htp\"\n"
                     "hedge.enabled = true\nhedge.trigger = \"custom\"\nhedge.trigger_name = \"bounded_percentil\"\n");
  BOOST_TEST(contains(errors,
                      "rt.toml:6:20: policies.\"a.B\".retry.classifier: no classifier named \"internal_htp\" "
                      "(did you mean internal_http?); known: always, errno, grpc, http, internal_http, never"),
             errors.front());
  BOOST_TEST(contains(
      errors, "hedge.trigger_name: no hedge trigger named \"bounded_percentil\" (did you mean bounded_percentile?)"));
}

// Issue 10 item 14(b): an [executor] default_classifier nobody provides is an error, not a
// silent `always`.
BOOST_AUTO_TEST_CASE(an_unknown_default_classifier_is_an_error_with_a_suggestion) {
  const auto errors = runtime_errors(plugins_table + "[executor]\ndefault_classifier = \"htpp\"\n");
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0].find(
                 "rt.toml:4:22: executor.default_classifier: no classifier named \"htpp\" (did you mean http?)") == 0u,
             errors[0]);
}

BOOST_AUTO_TEST_CASE(a_default_classifier_from_a_plugin_is_created_and_used) {
  auto config =
      recourse::host::parse_config(plugins_table +
                                       "[executor]\nmissing_classifier = \"fallback\"\n"
                                       "default_classifier = \"errno\"\n[defaults]\nretry.classifier = \"gone\"\n",
                                   "rt.toml");
  BOOST_REQUIRE(config.has_value());
  recourse::host::RuntimeOptions options{std::make_shared<recourse::VirtualClock>()};
  options.check_references = false;  // "gone" is missing on purpose: the fallback is under test
  auto runtime = recourse::host::build_runtime(*config, std::move(options));
  BOOST_REQUIRE_MESSAGE(runtime.has_value(), (runtime ? "" : recourse::host::to_string(runtime.error())));
  const auto result = (*runtime)->executor->try_run(
      "db.Connect", [](const recourse::Attempt&) { return std::make_error_code(std::errc::permission_denied); });
  BOOST_TEST(result.error().reason == "errno_eacces");
}

// Issue 10 item 13: a loaded plugin whose component cannot start fails no config that does
// not use it, and one that does gets the error once, at the first line that names it.
const std::string throwing_plugin =
    std::string("[plugins]\npaths = [\"") + RECOURSE_TEST_PLUGIN_DIR + "/factory_throws\"]\n";

BOOST_AUTO_TEST_CASE(an_unused_component_that_cannot_start_fails_nothing) {
  auto config =
      recourse::host::parse_config(throwing_plugin + "[policies.\"a.B\"]\nretry.max_attempts = 2\n", "rt.toml");
  BOOST_REQUIRE(config.has_value());
  auto runtime = recourse::host::build_runtime(*config, {std::make_shared<recourse::VirtualClock>()});
  BOOST_TEST(runtime.has_value(), (runtime ? "" : recourse::host::to_string(runtime.error())));
}

BOOST_AUTO_TEST_CASE(a_used_component_that_cannot_start_is_one_error_at_its_first_use) {
  const auto errors = runtime_errors(throwing_plugin +
                                     "[policies.\"b.C\"]\nretry.classifier = \"throws\"\n"
                                     "[policies.\"a.B\"]\nretry.classifier = \"throws\"\n"
                                     "[defaults]\nretry.classifier = \"throws\"\n");
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0].find("rt.toml:4:20: policies.\"b.C\".retry.classifier: classifier \"throws\" from ") == 0u,
             errors[0]);
  BOOST_TEST(errors[0].find("librecourse-factory_throws.so failed to start: boom in constructor") != std::string::npos,
             errors[0]);
}

// With a [provider], policies arrive at run time and may name any plugin component: the ones
// the file does not name are created too, and one that cannot start is a logged warning.
BOOST_AUTO_TEST_CASE(with_a_provider_an_unnamed_component_that_cannot_start_is_only_logged) {
  struct Lines final : recourse::Logger {
    std::vector<std::string> lines;
    void log(recourse::LogLevel, std::string_view message) noexcept override { lines.emplace_back(message); }
  };
  const std::string policies = (std::filesystem::temp_directory_path() / "recourse-provider-policies.toml").string();
  std::ofstream(policies) << "[policies.\"a.B\"]\nretry.classifier = \"http\"\n";
  auto config = recourse::host::parse_config(std::string("[plugins]\npaths = [\"") + RECOURSE_PLUGIN_DIR + "\", \"" +
                                                 RECOURSE_TEST_PLUGIN_DIR +
                                                 "/factory_throws\"]\n"
                                                 "[provider]\nplugin = \"toml_file\"\npath = \"" +
                                                 policies + "\"\n",
                                             "rt.toml");
  BOOST_REQUIRE_MESSAGE(config.has_value(), (config ? "" : recourse::host::to_string(config.error())));
  auto logger = std::make_shared<Lines>();
  recourse::host::RuntimeOptions options{std::make_shared<recourse::VirtualClock>()};
  options.logger = logger;
  auto runtime = recourse::host::build_runtime(*config, std::move(options));
  std::filesystem::remove(policies);
  BOOST_REQUIRE_MESSAGE(runtime.has_value(), (runtime ? "" : recourse::host::to_string(runtime.error())));
  BOOST_TEST(contains(logger->lines, "classifier \"throws\" is not available to provider policies"));
  // The provider's policy names a plugin classifier the file never named: it was created.
  const auto result =
      (*runtime)->executor->try_run("a.B", [](const recourse::Attempt&) -> std::expected<int, std::error_code> {
        return std::unexpected(std::make_error_code(std::errc::io_error));
      });
  BOOST_TEST(result.error().reason != "classifier_not_found");
}

BOOST_AUTO_TEST_CASE(keys_past_max_keys_are_logged_through_the_runtimes_logger) {
  // No observer configured: the overflow must still be said somewhere (and counted).
  struct Lines final : recourse::Logger {
    std::vector<std::string> lines;
    void log(recourse::LogLevel, std::string_view message) noexcept override { lines.emplace_back(message); }
  };
  auto config =
      recourse::host::parse_config("[executor]\nmax_keys = 1\n[defaults]\nretry.max_attempts = 1\n", "rt.toml");
  BOOST_REQUIRE(config.has_value());
  auto logger = std::make_shared<Lines>();
  recourse::host::RuntimeOptions options{std::make_shared<recourse::VirtualClock>()};
  options.logger = logger;
  auto runtime = recourse::host::build_runtime(*config, std::move(options));
  BOOST_REQUIRE(runtime.has_value());
  const auto ok = [](const recourse::Attempt&) { return 1; };
  (void)(*runtime)->executor->try_run("orders.Get-1", ok);
  (void)(*runtime)->executor->try_run("orders.Get-2", ok);
  BOOST_TEST(contains(logger->lines, "key \"orders.Get-2\" is past max_keys (1 distinct keys)"));
  BOOST_TEST((*runtime)->executor->over_limit_calls() == 1u);
}

BOOST_AUTO_TEST_CASE(a_configured_instance_that_cannot_start_is_reported_at_its_table) {
  const auto errors = runtime_errors(throwing_plugin +
                                     "[classifiers.mine]\nplugin = \"throws\"\n"
                                     "[policies.\"a.B\"]\nretry.classifier = \"mine\"\n");
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0].find("rt.toml:3:1: classifiers.mine: classifier \"throws\" from ") == 0u, errors[0]);
}

BOOST_AUTO_TEST_CASE(an_unknown_budget_or_observer_plugin_lists_what_exists) {
  const auto errors =
      runtime_errors(plugins_table + "[budgets.b]\nplugin = \"tokn_bucket\"\n[observers.o]\nplugin = \"jsnol\"\n");
  BOOST_TEST(contains(
      errors, "budgets.b.plugin: no budget plugin named \"tokn_bucket\" (did you mean token_bucket?); known: "));
  BOOST_TEST(contains(errors,
                      "observers.o.plugin: no observer plugin named \"jsnol\" (did you mean jsonl?); known: jsonl, "
                      "log, prometheus, trace"));
}

// Issue 11 item 6: one catalogue feeds every list — built-ins (unlimited) with the plugins'.
BOOST_AUTO_TEST_CASE(the_budget_plugins_known_are_the_built_in_and_the_loaded_ones) {
  const auto errors = runtime_errors(plugins_table + "[budgets.b]\nplugin = \"nope\"\n");
  BOOST_TEST(contains(errors,
                      "budgets.b.plugin: no budget plugin named \"nope\"; known: concurrency, grpc_throttle, ratio, "
                      "redis_ratio, redis_token_bucket, token_bucket, unlimited"),
             errors.front());
}

// Issue 11 item 6: budgets say `plugin =` like every other component; `backend =` still works,
// noted as deprecated where it is written.
BOOST_AUTO_TEST_CASE(a_budget_backend_is_the_deprecated_spelling_of_plugin) {
  auto config = recourse::host::parse_config(plugins_table +
                                                 "[budgets.old]\nbackend = \"token_bucket\"\ncapacity = 2\n"
                                                 "refill_per_second = 1\n[budgets.new]\nplugin = \"unlimited\"\n",
                                             "rt.toml");
  BOOST_REQUIRE_MESSAGE(config.has_value(), (config ? "" : recourse::host::to_string(config.error())));
  BOOST_REQUIRE_EQUAL(config->deprecations.size(), 1u);
  BOOST_TEST(recourse::to_string(config->deprecations[0]) ==
             "rt.toml:4:11: budgets.old.backend: backend is deprecated; write plugin = \"token_bucket\"");
  BOOST_REQUIRE_EQUAL(config->budgets.size(), 2u);
  BOOST_TEST(config->budgets[1].name == "old");  // tables are read in key order
  BOOST_TEST(config->budgets[1].plugin == "token_bucket");
  auto runtime = recourse::host::build_runtime(*config, {std::make_shared<recourse::VirtualClock>()});
  BOOST_REQUIRE_MESSAGE(runtime.has_value(), (runtime ? "" : recourse::host::to_string(runtime.error())));
  BOOST_TEST((*runtime)->running()->budgets.size() == 2u);

  const auto both =
      recourse::host::parse_config("[budgets.b]\nplugin = \"unlimited\"\nbackend = \"unlimited\"\n", "rt.toml");
  BOOST_REQUIRE(!both.has_value());
  BOOST_TEST(recourse::host::to_string(both.error())
                     .find("rt.toml:3:11: budgets.b.backend: give plugin or backend, not both") != std::string::npos,
             recourse::host::to_string(both.error()));
}

// Issue 11 item 6: a host program adds its own components to the catalogue; they are created
// from their tables and listed like the rest.
BOOST_AUTO_TEST_CASE(a_host_component_is_created_and_listed) {
  recourse::host::ComponentCatalogue components;
  int made = 0;
  components.add_host<recourse::Budget>("counted", [&](const recourse::ComponentContext&) {
    ++made;
    return std::make_shared<recourse::UnlimitedBudget>();
  });
  BOOST_TEST(components.creatable(recourse::ComponentCategory::budget, "counted"));
  BOOST_TEST(!components.creatable(recourse::ComponentCategory::classifier, "always"));  // the executor's own
  auto config = recourse::host::parse_config("[budgets.c]\nplugin = \"counted\"\n[budgets.typo]\nplugin = \"countd\"\n",
                                             "rt.toml");
  BOOST_REQUIRE(config.has_value());
  recourse::host::RuntimeOptions options;
  options.clock = std::make_shared<recourse::VirtualClock>();
  options.components = &components;
  auto runtime = recourse::host::build_runtime(*config, options);
  BOOST_REQUIRE(!runtime.has_value());
  BOOST_TEST(made == 1);
  BOOST_TEST(recourse::host::to_string(runtime.error())
                     .find("budgets.typo.plugin: no budget plugin named \"countd\" (did you mean counted?); known: "
                           "counted, unlimited") != std::string::npos,
             recourse::host::to_string(runtime.error()));
}

BOOST_AUTO_TEST_CASE(component_parameters_are_validated_by_the_component) {
  const auto errors =
      runtime_errors(plugins_table + "[classifiers.c]\nplugin = \"grpc\"\nretryable_codes = [\"NOPE\"]\n");
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
  const auto result =
      (*runtime)->executor->try_run("users.Get",
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
