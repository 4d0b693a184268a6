// The linear backoff plugin, loaded from librecourse-linear.so: it grows by its step and is
// capped. Also every backoff — this one, decorrelated and the built-in exponential and
// constant — stays within [0, max_backoff] at attempt 60 and beyond. (Suite backoff_plugins,
// shared with plugins/backoff/decorrelated/decorrelated_backoff_test.cpp.)
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "plugin_harness.hpp"

using namespace std::chrono_literals;
using plugin_harness::no_services;
using plugin_harness::Table;
using recourse::ComponentCategory;

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

BOOST_AUTO_TEST_SUITE_END()
