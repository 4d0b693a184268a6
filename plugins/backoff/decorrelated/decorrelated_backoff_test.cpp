// The decorrelated backoff plugin, loaded from librecourse-decorrelated.so: it draws between
// the base and three times the previous sleep, and needs the host's random source. (Suite
// backoff_plugins, shared with plugins/backoff/linear/linear_backoff_test.cpp, which also
// checks this one for overflow.)
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "plugin_harness.hpp"

using namespace std::chrono_literals;
using plugin_harness::no_services;
using recourse::ComponentCategory;

BOOST_AUTO_TEST_SUITE(backoff_plugins)

BOOST_AUTO_TEST_CASE(decorrelated_draws_between_base_and_three_times_the_previous_sleep) {
  recourse::RetryPolicy policy;
  policy.initial_backoff = 10ms;
  policy.max_backoff = 1s;
  recourse::FixedRandom half(0.5);
  const recourse::PluginContext services{nullptr, &half, nullptr};
  auto backoff =
      plugin_harness::create<recourse::BackoffStrategy>(ComponentCategory::backoff, "decorrelated", {}, services);
  BOOST_TEST(backoff->delay({1, &policy, {}}).count() == recourse::Duration(20ms).count());     // 10 + .5·(30−10)
  BOOST_TEST(backoff->delay({2, &policy, 20ms}).count() == recourse::Duration(35ms).count());  // 10 + .5·(60−10)
}

BOOST_AUTO_TEST_CASE(decorrelated_without_a_random_source_is_a_config_error) {
  const auto errors = plugin_harness::errors_creating<recourse::BackoffStrategy>(ComponentCategory::backoff,
                                                                                 "decorrelated", {}, no_services);
  BOOST_TEST(errors.front().message.find("random source") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
