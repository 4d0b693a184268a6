// The grpc and errno classifiers, the backoff strategies and the toml_file provider, each
// loaded from its .so.
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

#include "plugin_harness.hpp"

using namespace std::chrono_literals;
using plugin_harness::Table;
using recourse::ComponentCategory;
using recourse::OutcomeKind;

namespace {

const recourse::PluginContext no_services{};

recourse::AttemptView grpc_status(int code, std::optional<recourse::Duration> pushback = std::nullopt) {
  recourse::AttemptView v;
  v.has_value = true;
  v.status.grpc_code = code;
  v.status.retry_after = pushback;
  return v;
}

recourse::AttemptView errno_failure(int value) {
  recourse::AttemptView v;
  v.error = std::error_code(value, std::generic_category());
  return v;
}

recourse::ConfigNode string_array(std::initializer_list<const char*> items) {
  recourse::ConfigNode array;
  array.kind = recourse::ConfigNode::Kind::array;
  for (const char* item : items) {
    recourse::ConfigNode n;
    n.kind = recourse::ConfigNode::Kind::string;
    n.string = item;
    array.items.push_back(n);
  }
  return array;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(grpc_classifier)

BOOST_AUTO_TEST_CASE(unavailable_and_resource_exhausted_are_retryable_by_default) {
  auto grpc = plugin_harness::create<recourse::Classifier>(ComponentCategory::classifier, "grpc", {}, no_services);
  BOOST_TEST((grpc->classify(grpc_status(14)).kind == OutcomeKind::retryable));
  BOOST_TEST(grpc->classify(grpc_status(14)).reason == "grpc_unavailable");
  BOOST_TEST((grpc->classify(grpc_status(8)).kind == OutcomeKind::retryable));
  BOOST_TEST((grpc->classify(grpc_status(0)).kind == OutcomeKind::success));
  BOOST_TEST((grpc->classify(grpc_status(5)).kind == OutcomeKind::non_retryable));
  BOOST_TEST((grpc->classify(grpc_status(4)).kind == OutcomeKind::non_retryable));  // deadline: off by default
  BOOST_TEST((grpc->classify(grpc_status(1)).kind == OutcomeKind::abort));          // CANCELLED
}

BOOST_AUTO_TEST_CASE(pushback_is_honoured_and_negative_pushback_stops_retries) {
  auto grpc = plugin_harness::create<recourse::Classifier>(ComponentCategory::classifier, "grpc", {}, no_services);
  BOOST_TEST((grpc->classify(grpc_status(14, 250ms)).backoff_override == std::optional<recourse::Duration>(250ms)));
  BOOST_TEST((grpc->classify(grpc_status(14, -1ms)).kind == OutcomeKind::non_retryable));
  BOOST_TEST(grpc->classify(grpc_status(14, -1ms)).reason == "grpc_pushback_stop");
}

BOOST_AUTO_TEST_CASE(the_raw_pushback_trailer_is_parsed_as_gRFC_A6_says) {
  auto grpc = plugin_harness::create<recourse::Classifier>(ComponentCategory::classifier, "grpc", {}, no_services);
  auto with_trailer = [](std::string_view value) {
    recourse::AttemptView v = grpc_status(14);
    v.status.grpc_pushback_header = value;
    return v;
  };
  BOOST_TEST((grpc->classify(with_trailer("250")).backoff_override == std::optional<recourse::Duration>(250ms)));
  BOOST_TEST((grpc->classify(with_trailer(" 0 ")).backoff_override == std::optional<recourse::Duration>(0ms)));
  for (std::string_view stop : {"-1", "-0", "abc", "1.5", "1e3", "+5"}) {
    const auto outcome = grpc->classify(with_trailer(stop));
    BOOST_TEST((outcome.kind == OutcomeKind::non_retryable), stop);
    BOOST_TEST(outcome.reason == "grpc_pushback_stop", stop);
  }
  BOOST_TEST((grpc->classify(with_trailer("")).kind == OutcomeKind::retryable));
  // Too large for milliseconds: saturated, not wrapped into a negative "stop".
  BOOST_TEST((grpc->classify(with_trailer("99999999999999999999999")).kind == OutcomeKind::retryable));
}

BOOST_AUTO_TEST_CASE(a_servers_cancelled_aborts_unless_the_retryable_list_names_it) {
  auto plain = plugin_harness::create<recourse::Classifier>(ComponentCategory::classifier, "grpc", {}, no_services);
  BOOST_TEST((plain->classify(grpc_status(1)).kind == OutcomeKind::abort));
  auto listed = plugin_harness::create<recourse::Classifier>(
      ComponentCategory::classifier, "grpc", Table().add("retryable_codes", string_array({"CANCELLED", "UNAVAILABLE"})),
      no_services);
  BOOST_TEST((listed->classify(grpc_status(1)).kind == OutcomeKind::retryable));
  BOOST_TEST(listed->classify(grpc_status(1)).reason == "grpc_cancelled");
  recourse::AttemptView by_caller = grpc_status(1);
  by_caller.cancelled = true;  // the caller's own cancellation always aborts
  BOOST_TEST((listed->classify(by_caller).kind == OutcomeKind::abort));
}

BOOST_AUTO_TEST_CASE(the_retryable_list_and_deadline_exceeded_are_configurable) {
  auto grpc = plugin_harness::create<recourse::Classifier>(
      ComponentCategory::classifier, "grpc",
      Table().add("retryable_codes", string_array({"ABORTED"})).add("retry_deadline_exceeded", true), no_services);
  BOOST_TEST((grpc->classify(grpc_status(10)).kind == OutcomeKind::retryable));
  BOOST_TEST((grpc->classify(grpc_status(4)).kind == OutcomeKind::retryable));
  BOOST_TEST((grpc->classify(grpc_status(14)).kind == OutcomeKind::non_retryable));
}

BOOST_AUTO_TEST_CASE(an_unknown_code_name_is_a_config_error) {
  const auto errors = plugin_harness::errors_creating<recourse::Classifier>(
      ComponentCategory::classifier, "grpc", Table().add("retryable_codes", string_array({"UNAVAILBLE"})), no_services);
  BOOST_TEST(errors.front().message.find("unknown gRPC code \"UNAVAILBLE\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errno_classifier)

BOOST_AUTO_TEST_CASE(transient_system_errors_are_retryable_with_their_name) {
  auto classifier = plugin_harness::create<recourse::Classifier>(ComponentCategory::classifier, "errno", {}, no_services);
  BOOST_TEST((classifier->classify(errno_failure(ECONNREFUSED)).kind == OutcomeKind::retryable));
  BOOST_TEST(classifier->classify(errno_failure(ECONNREFUSED)).reason == "errno_econnrefused");
  BOOST_TEST((classifier->classify(errno_failure(ETIMEDOUT)).kind == OutcomeKind::retryable));
  BOOST_TEST((classifier->classify(errno_failure(ENOENT)).kind == OutcomeKind::non_retryable));
  BOOST_TEST((classifier->classify(errno_failure(ECANCELED)).kind == OutcomeKind::abort));
}

BOOST_AUTO_TEST_CASE(a_thrown_system_error_is_read_too) {
  auto classifier = plugin_harness::create<recourse::Classifier>(ComponentCategory::classifier, "errno", {}, no_services);
  recourse::AttemptView v;
  v.exception = std::make_exception_ptr(std::system_error(ECONNRESET, std::generic_category(), "read"));
  BOOST_TEST(classifier->classify(v).reason == "errno_econnreset");
  v.exception = std::make_exception_ptr(std::runtime_error("not a system error"));
  BOOST_TEST(classifier->classify(v).reason == "non_retryable_error");
}

BOOST_AUTO_TEST_CASE(the_retryable_list_is_configurable) {
  auto classifier = plugin_harness::create<recourse::Classifier>(
      ComponentCategory::classifier, "errno", Table().add("retryable", string_array({"ENOENT"})), no_services);
  BOOST_TEST((classifier->classify(errno_failure(ENOENT)).kind == OutcomeKind::retryable));
  BOOST_TEST((classifier->classify(errno_failure(ECONNREFUSED)).kind == OutcomeKind::non_retryable));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(backoff_plugins)

BOOST_AUTO_TEST_CASE(linear_grows_by_step_and_is_capped) {
  recourse::RetryPolicy policy;
  policy.initial_backoff = 10ms;
  policy.max_backoff = 100ms;
  auto linear = plugin_harness::create<recourse::BackoffStrategy>(ComponentCategory::backoff, "linear",
                                                                  Table().add("step", "25ms"), no_services);
  BOOST_TEST(linear->delay({1, &policy, {}}).count() == recourse::Duration(10ms).count());
  BOOST_TEST(linear->delay({3, &policy, {}}).count() == recourse::Duration(60ms).count());
  BOOST_TEST(linear->delay({1000000000, &policy, {}}).count() == recourse::Duration(100ms).count());
}

BOOST_AUTO_TEST_CASE(every_backoff_is_overflow_safe_at_attempt_60_and_beyond) {
  recourse::RetryPolicy policy;
  policy.multiplier = 10;
  policy.max_backoff = 30s;
  recourse::FixedRandom random(0.999);
  const recourse::PluginContext services{nullptr, &random, nullptr};
  const auto check = [&](const char* name, const recourse::BackoffStrategy& backoff) {
    recourse::Duration previous{};
    for (int retry : {1, 59, 60, 61, 1000, 1 << 30}) {
      const recourse::Duration d = backoff.delay({retry, &policy, previous});
      BOOST_TEST(d.count() >= 0, name << " retry " << retry);
      BOOST_TEST(d.count() <= recourse::Duration(30s).count(), name << " retry " << retry);
      previous = d;
    }
  };
  for (const char* name : {"linear", "decorrelated"})
    check(name, *plugin_harness::create<recourse::BackoffStrategy>(ComponentCategory::backoff, name, {}, services));
  check("exponential", recourse::ExponentialBackoff{});  // the built-ins (their plugins were mere copies)
  check("constant", recourse::ConstantBackoff{});
}

BOOST_AUTO_TEST_CASE(decorrelated_draws_between_base_and_three_times_the_previous_sleep) {
  recourse::RetryPolicy policy;
  policy.initial_backoff = 10ms;
  policy.max_backoff = 1s;
  recourse::FixedRandom half(0.5);
  const recourse::PluginContext services{nullptr, &half, nullptr};
  auto backoff = plugin_harness::create<recourse::BackoffStrategy>(ComponentCategory::backoff, "decorrelated", {}, services);
  BOOST_TEST(backoff->delay({1, &policy, {}}).count() == recourse::Duration(20ms).count());     // 10 + .5·(30−10)
  BOOST_TEST(backoff->delay({2, &policy, 20ms}).count() == recourse::Duration(35ms).count());  // 10 + .5·(60−10)
}

BOOST_AUTO_TEST_CASE(decorrelated_without_a_random_source_is_a_config_error) {
  const auto errors = plugin_harness::errors_creating<recourse::BackoffStrategy>(ComponentCategory::backoff,
                                                                                  "decorrelated", {}, no_services);
  BOOST_TEST(errors.front().message.find("random source") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(toml_file_provider)

BOOST_AUTO_TEST_CASE(policies_come_from_the_named_file_relative_to_the_config) {
  const auto dir = std::filesystem::temp_directory_path() / "recourse-provider-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "policies.toml") << "[policies.\"pay.*\"]\nretry.max_attempts = 7\n";
  Table table;
  table.node.where.file = (dir / "recourse.toml").string();
  table.add("path", "policies.toml");
  auto provider = plugin_harness::create<recourse::PolicyProvider>(ComponentCategory::provider, "toml_file", table, no_services);
  const auto policy = provider->policy_for(*recourse::Key::parse("pay.Charge"));
  BOOST_REQUIRE(policy.has_value());
  BOOST_TEST(policy->policy.retry.max_attempts == 7);
  BOOST_TEST(!provider->policy_for(*recourse::Key::parse("other.Op")).has_value());
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(errors_in_the_policy_file_are_reported_with_its_location) {
  const auto dir = std::filesystem::temp_directory_path() / "recourse-provider-bad";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "policies.toml") << "[defaults]\nretry.jitter = \"bogus\"\n";
  Table table;
  table.add("path", (dir / "policies.toml").c_str());
  const auto errors =
      plugin_harness::errors_creating<recourse::PolicyProvider>(ComponentCategory::provider, "toml_file", table, no_services);
  BOOST_TEST(recourse::to_string(errors.front()).find("policies.toml:2:16") != std::string::npos);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
