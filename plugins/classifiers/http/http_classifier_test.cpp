// The `http` classifier plugin, loaded from librecourse-http.so.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <iostream>
#include <string>
#include <vector>

#include "plugin_harness.hpp"

using namespace std::chrono_literals;
using recourse::OutcomeKind;

namespace {

// The classifier dates Retry-After HTTP-dates by the host clock's calendar: a virtual one here,
// starting at VirtualClock::default_wall_start (2026-01-01T00:00:00Z).
recourse::VirtualClock& host_clock() {
  static recourse::VirtualClock clock;
  return clock;
}

const recourse::PluginContext& services_with_clock() {
  static const recourse::PluginContext services{&host_clock(), nullptr, nullptr};
  return services;
}

const recourse::Classifier& http() {
  const recourse::PluginContext& services = services_with_clock();
  static const auto classifier =
      plugin_harness::create<recourse::Classifier>(recourse::ComponentCategory::classifier, "http", {}, services);
  return *classifier;
}

recourse::AttemptView response(int status, std::string_view method = "GET") {
  recourse::AttemptView v;
  v.has_value = true;
  v.status.http_status = status;
  v.status.http_method = method;
  return v;
}

struct StatusCase {
  int status;
  std::string_view method;
  OutcomeKind kind;
  std::string_view reason;
};
std::ostream& operator<<(std::ostream& out, const StatusCase& c) { return out << c.method << " " << c.status; }

const std::vector<StatusCase> statuses{
    {200, "GET", OutcomeKind::success, "success"},
    {204, "POST", OutcomeKind::success, "success"},
    {503, "GET", OutcomeKind::retryable, "http_5xx"},
    {500, "get", OutcomeKind::retryable, "http_5xx"},  // methods are case-insensitive
    {502, "PUT", OutcomeKind::retryable, "http_5xx"},
    {429, "DELETE", OutcomeKind::retryable, "http_429"},
    {408, "HEAD", OutcomeKind::retryable, "http_408"},
    {503, "POST", OutcomeKind::non_retryable, "http_non_idempotent"},
    {429, "PATCH", OutcomeKind::non_retryable, "http_non_idempotent"},
    {404, "GET", OutcomeKind::non_retryable, "http_404"},
    {400, "GET", OutcomeKind::non_retryable, "http_400"},
    {301, "GET", OutcomeKind::non_retryable, "http_301"},
    {0, "GET", OutcomeKind::retryable, "http_transport_error"},
    {0, "POST", OutcomeKind::non_retryable, "http_non_idempotent"},
    {700, "GET", OutcomeKind::non_retryable, "http_non_retryable_status"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(http_classifier)

BOOST_DATA_TEST_CASE(maps_status_and_method_to_outcomes, boost::unit_test::data::make(statuses), c) {
  const recourse::Outcome o = http().classify(response(c.status, c.method));
  BOOST_TEST((o.kind == c.kind));
  BOOST_TEST(o.reason == c.reason);
}

BOOST_AUTO_TEST_CASE(a_call_marked_idempotent_makes_post_retryable) {
  auto v = response(503, "POST");
  v.call_idempotent = true;
  BOOST_TEST((http().classify(v).kind == OutcomeKind::retryable));
  auto w = response(503, "POST");
  w.status.idempotent = true;
  BOOST_TEST((http().classify(w).kind == OutcomeKind::retryable));
}

BOOST_AUTO_TEST_CASE(no_response_is_a_transport_error) {
  recourse::AttemptView v;  // the op threw, nothing came back
  v.call_idempotent = true;
  BOOST_TEST(http().classify(v).reason == "http_transport_error");
}

BOOST_AUTO_TEST_CASE(cancellation_aborts) {
  auto v = response(503);
  v.cancelled = true;
  BOOST_TEST((http().classify(v).kind == OutcomeKind::abort));
}

BOOST_AUTO_TEST_CASE(retry_after_seconds_on_429_and_503_only) {
  auto v = response(503);
  v.status.retry_after_header = "7";
  BOOST_TEST((http().classify(v).backoff_override == std::optional<recourse::Duration>(7s)));
  auto w = response(500);
  w.status.retry_after_header = "7";
  BOOST_TEST(!http().classify(w).backoff_override.has_value());
}

BOOST_AUTO_TEST_CASE(retry_after_garbage_and_negative_are_ignored) {
  for (const char* header : {"-5", "soon", "7s", "", "Sun, 06 Nov 1994 08:49:37 PST", "1e3"}) {
    auto v = response(429);
    v.status.retry_after_header = header;
    BOOST_TEST(!http().classify(v).backoff_override.has_value(), header);
  }
}

BOOST_AUTO_TEST_CASE(retry_after_http_date_in_the_past_is_zero) {
  auto v = response(503);
  v.status.retry_after_header = "Sun, 06 Nov 1994 08:49:37 GMT";
  BOOST_TEST((http().classify(v).backoff_override == std::optional<recourse::Duration>(0s)));
}

BOOST_AUTO_TEST_CASE(retry_after_dates_far_from_now_do_not_overflow) {
  // Valid IMF-fixdates outside 1678..2261 overflowed nanosecond time points (found by fuzzing).
  auto past = response(503);
  past.status.retry_after_header = "Sat, 01 Jan 0000 00:00:00 GMT";
  BOOST_TEST((http().classify(past).backoff_override == std::optional<recourse::Duration>(0s)));
  auto future = response(503);
  future.status.retry_after_header = "Fri, 31 Dec 9999 23:59:59 GMT";
  const auto after = http().classify(future).backoff_override;
  BOOST_REQUIRE(after.has_value());
  BOOST_TEST((*after == std::chrono::hours(24 * 365)));  // capped at a year; the policy caps further
}

BOOST_AUTO_TEST_CASE(retry_after_http_date_is_dated_by_the_host_clock_calendar) {
  // One hour after the virtual calendar's start; the answer shrinks as the host clock moves.
  recourse::VirtualClock clock;
  const recourse::PluginContext services{&clock, nullptr, nullptr};
  const auto classifier =
      plugin_harness::create<recourse::Classifier>(recourse::ComponentCategory::classifier, "http", {}, services);
  auto v = response(503);
  v.status.retry_after_header = "Thu, 01 Jan 2026 01:00:00 GMT";
  BOOST_TEST((classifier->classify(v).backoff_override == std::optional<recourse::Duration>(3600s)));
  clock.advance(15min);
  BOOST_TEST((classifier->classify(v).backoff_override == std::optional<recourse::Duration>(2700s)));
  clock.advance(2h);  // past the date: retry at once
  BOOST_TEST((classifier->classify(v).backoff_override == std::optional<recourse::Duration>(0s)));
}

BOOST_AUTO_TEST_CASE(without_a_host_clock_it_refuses_to_start) {
  const recourse::PluginContext no_clock{};
  const auto errors = plugin_harness::errors_creating<recourse::Classifier>(recourse::ComponentCategory::classifier,
                                                                            "http", {}, no_clock);
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0].message.find("needs the host clock") != std::string::npos, errors[0].message);
}

BOOST_AUTO_TEST_CASE(configured_idempotent_methods_replace_the_defaults) {
  const recourse::PluginContext& services = services_with_clock();
  recourse::ConfigNode methods;
  methods.kind = recourse::ConfigNode::Kind::array;
  recourse::ConfigNode post;
  post.kind = recourse::ConfigNode::Kind::string;
  post.string = "POST";
  methods.items.push_back(post);
  const auto custom = plugin_harness::create<recourse::Classifier>(
      recourse::ComponentCategory::classifier, "http", plugin_harness::Table().add("idempotent_methods", methods),
      services);
  BOOST_TEST((custom->classify(response(503, "POST")).kind == OutcomeKind::retryable));
  BOOST_TEST((custom->classify(response(503, "GET")).kind == OutcomeKind::non_retryable));
}

BOOST_AUTO_TEST_CASE(unknown_parameters_are_config_errors) {
  const recourse::PluginContext& services = services_with_clock();
  const auto errors = plugin_harness::errors_creating<recourse::Classifier>(
      recourse::ComponentCategory::classifier, "http", plugin_harness::Table().add("idempotent_method", "GET"),
      services);
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0].message.find("unknown field \"idempotent_method\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
