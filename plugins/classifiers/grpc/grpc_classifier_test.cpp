// The grpc classifier plugin, loaded from librecourse-grpc.so: status codes to outcomes,
// pushback (the parsed value and the raw trailer, as gRFC A6 says), a server's CANCELLED that
// aborts unless listed, the configurable retryable codes and deadline_exceeded, and an unknown
// code name refused.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "plugin_harness.hpp"

using namespace std::chrono_literals;
using plugin_harness::no_services;
using plugin_harness::string_array;
using plugin_harness::Table;
using recourse::ComponentCategory;
using recourse::OutcomeKind;

namespace {

recourse::AttemptView grpc_status(int code, std::optional<recourse::Duration> pushback = std::nullopt) {
  recourse::AttemptView v;
  v.has_value = true;
  v.status.grpc_code = code;
  v.status.retry_after = pushback;
  return v;
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
