// The token_bucket budget plugin, loaded from librecourse-token_bucket.so and driven in virtual
// time: it starts full (or at `initial`), refills by the host clock up to its capacity, charges
// a retry its cost and refunds one released unused, validates its parameters, needs the host
// clock, and under many threads never grants more than capacity plus refill (run under TSan
// too). Shared scaffolding: tests/plugins/budget_test_helpers.hpp.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#include "budget_test_helpers.hpp"
#include "plugin_harness.hpp"

using namespace std::chrono_literals;
using budget_test_helpers::backend;
using budget_test_helpers::budget;
using budget_test_helpers::contains;
using budget_test_helpers::errors;
using budget_test_helpers::grants;
using budget_test_helpers::make;
using budget_test_helpers::on_threads;
using budget_test_helpers::record;
using budget_test_helpers::retry;
using budget_test_helpers::take;
using plugin_harness::Table;
using recourse::OutcomeKind;

BOOST_AUTO_TEST_SUITE(token_bucket)

Table bucket(int capacity, double refill_per_second) {
  return backend("token_bucket").add("capacity", capacity).add("refill_per_second", refill_per_second);
}

BOOST_AUTO_TEST_CASE(starts_full_and_denies_once_capacity_is_spent) {
  recourse::VirtualClock clock;
  const auto b = make(bucket(3, 0), clock);
  for (int i = 0; i < 3; ++i) {
    const auto d = b->acquire(retry());
    BOOST_TEST(d.allowed);
    BOOST_TEST(d.reason == "allowed");
  }
  const auto denied = b->acquire(retry());
  BOOST_TEST(!denied.allowed);
  BOOST_TEST(denied.reason == "budget_denied");
}

BOOST_AUTO_TEST_CASE(initial_sets_the_starting_tokens) {
  recourse::VirtualClock clock;
  const auto one = make(bucket(10, 0).add("initial", 1), clock);
  BOOST_TEST(grants(*one, 5) == 1);
  const auto none = make(bucket(10, 0).add("initial", 0), clock);
  BOOST_TEST(!take(*none));
}

BOOST_AUTO_TEST_CASE(refills_by_the_time_elapsed_on_the_host_clock) {
  recourse::VirtualClock clock;
  const auto b = make(bucket(10, 2).add("initial", 0), clock);
  BOOST_TEST(!take(*b));
  clock.advance(499ms);  // 0.998 tokens
  BOOST_TEST(!take(*b));
  clock.advance(1ms);  // exactly one
  BOOST_TEST(take(*b));
  BOOST_TEST(!take(*b));
  clock.advance(250ms);
  BOOST_TEST(!take(*b));
  clock.advance(250ms);
  BOOST_TEST(take(*b));
}

BOOST_AUTO_TEST_CASE(small_refills_of_an_inexact_rate_add_up_to_a_whole_token) {
  recourse::VirtualClock clock;
  const auto b = make(bucket(1, 0.1).add("initial", 0), clock);
  for (int second = 1; second < 10; ++second) {
    clock.advance(1s);
    BOOST_TEST(!take(*b), "after " << second << "s");
  }
  clock.advance(1s);
  BOOST_TEST(take(*b));
}

BOOST_AUTO_TEST_CASE(refill_stops_at_capacity) {
  recourse::VirtualClock clock;
  const auto b = make(bucket(5, 100), clock);
  BOOST_TEST(grants(*b, 5) == 5);
  clock.advance(1h);
  BOOST_TEST(grants(*b, 10) == 5);
}

BOOST_AUTO_TEST_CASE(a_retry_takes_its_cost_in_tokens) {
  recourse::VirtualClock clock;
  const auto b = make(bucket(5, 0), clock);
  BOOST_TEST(take(*b, 3));
  BOOST_TEST(!take(*b, 3));  // 2 left: a denied retry takes nothing
  BOOST_TEST(take(*b, 2));
  BOOST_TEST(!take(*b, 1));
  BOOST_TEST(take(*b, 0));  // a free retry (cost = 0) is always allowed
}

BOOST_AUTO_TEST_CASE(a_cost_above_capacity_is_never_allowed) {
  recourse::VirtualClock clock;
  const auto b = make(bucket(2, 1000), clock);
  clock.advance(1h);
  BOOST_TEST(!take(*b, 3));
  BOOST_TEST(take(*b, 2));
}

BOOST_AUTO_TEST_CASE(release_and_outcomes_do_not_give_tokens_back) {
  recourse::VirtualClock clock;
  const auto b = make(bucket(1, 0), clock);
  const auto d = b->acquire(retry());
  BOOST_REQUIRE(d.allowed);
  b->release(retry(), d.token);
  record(*b, OutcomeKind::success, 10);
  BOOST_TEST(!take(*b));
}

BOOST_AUTO_TEST_CASE(a_retry_released_unused_gives_its_tokens_back) {
  // The retry was granted, then abandoned during its backoff: it never ran, it costs nothing.
  recourse::VirtualClock clock;
  const auto b = make(bucket(2, 0), clock);
  auto request = retry(2);
  const auto d = b->acquire(request);
  BOOST_REQUIRE(d.allowed);
  BOOST_TEST(!take(*b));
  request.unused = true;
  b->release(request, d.token);
  BOOST_TEST(take(*b, 2));
  BOOST_TEST(!take(*b));  // given back once, never above the capacity
}

BOOST_AUTO_TEST_CASE(bad_parameters_are_config_errors_naming_the_field) {
  struct Case {
    Table table;
    std::string_view expected;
  };
  const Case cases[]{
      {bucket(10, 1).add("capacitty", 5), "test.capacitty: unknown field \"capacitty\""},
      {backend("token_bucket").add("refill_per_second", 1), "missing required field \"capacity\""},
      {backend("token_bucket").add("capacity", 10), "missing required field \"refill_per_second\""},
      {bucket(0, 1), "test.capacity: out of range: 0"},
      {backend("token_bucket").add("capacity", "ten").add("refill_per_second", 1),
       "test.capacity: expected an integer"},
      {bucket(10, -1), "test.refill_per_second: out of range"},
      {backend("token_bucket").add("capacity", 10).add("refill_per_second", "fast"),
       "test.refill_per_second: expected a number"},
      {bucket(10, 1).add("initial", 11), "test.initial: out of range: 11; allowed from 0 to 10"},
  };
  for (const Case& c : cases) BOOST_TEST(contains(errors(c.table), c.expected), errors(c.table));
}

BOOST_AUTO_TEST_CASE(every_error_in_the_table_is_reported_at_once) {
  const std::string text = errors(backend("token_bucket").add("capacity", -1).add("refill", 1).add("initial", "all"));
  BOOST_TEST(contains(text, "test.capacity: out of range"), text);
  BOOST_TEST(contains(text, "test.refill: unknown field"), text);
  BOOST_TEST(contains(text, "missing required field \"refill_per_second\""), text);
  BOOST_TEST(contains(text, "test.initial: expected an integer"), text);
}

BOOST_AUTO_TEST_CASE(without_a_host_clock_it_refuses_to_start) {
  const recourse::PluginContext no_clock{};
  const auto e = plugin_harness::errors_creating<recourse::Budget>(budget, "token_bucket", bucket(1, 1), no_clock);
  BOOST_REQUIRE_EQUAL(e.size(), 1u);
  BOOST_TEST(contains(e[0].message, "needs the host clock"));
}

BOOST_AUTO_TEST_CASE(concurrent_acquires_never_grant_more_than_capacity_plus_refill) {
  recourse::VirtualClock clock;
  const auto b = make(bucket(50, 10), clock);
  std::atomic<int> granted{0};
  // Threads 0-3 hammer the bucket while thread 4 moves time on by 1s in 10ms steps.
  on_threads(5, [&](int t) {
    if (t == 4) {
      for (int i = 0; i < 100; ++i) clock.advance(10ms);
      return;
    }
    for (int i = 0; i < 1000; ++i) {
      const auto d = b->acquire(retry());
      if (d.allowed) {
        granted.fetch_add(1);
        b->release(retry(), d.token);
      }
    }
  });
  const int left = grants(*b, 100);  // nothing more arrives: the clock has stopped
  BOOST_TEST(granted.load() >= 50);
  BOOST_TEST(granted.load() + left <= 60);  // 50 to start with, 10 refilled over the second
}

BOOST_AUTO_TEST_SUITE_END()
