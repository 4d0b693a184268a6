// The concurrency budget plugin, loaded from librecourse-concurrency.so: retries in flight
// limited to a percent of the calls in flight or min_concurrency, whichever is larger, a slot
// freed when its retry is released; parameter validation, and the limit held under many threads
// (run under TSan too). Shared scaffolding: tests/plugins/budget_test_helpers.hpp.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "budget_test_helpers.hpp"
#include "plugin_harness.hpp"

using budget_test_helpers::backend;
using budget_test_helpers::contains;
using budget_test_helpers::errors;
using budget_test_helpers::grants;
using budget_test_helpers::make;
using budget_test_helpers::on_threads;
using budget_test_helpers::retry;
using budget_test_helpers::start_calls;
using budget_test_helpers::take;
using plugin_harness::Table;

namespace {

void finish_calls(recourse::Budget& b, int n) {
  for (int i = 0; i < n; ++i) b.call_finished("payments.Charge", {});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(concurrency_budget)

Table concurrency(double percent, int min_concurrency) {
  return backend("concurrency").add("percent", percent).add("min_concurrency", min_concurrency);
}

BOOST_AUTO_TEST_CASE(min_concurrency_allows_retries_with_no_calls_in_flight) {
  recourse::VirtualClock clock;
  const auto b = make(backend("concurrency").add("percent", 20), clock);  // min_concurrency = 3
  BOOST_TEST(grants(*b, 3) == 3);
  const auto d = b->acquire(retry());
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.reason == "budget_denied");
}

BOOST_AUTO_TEST_CASE(releasing_a_retry_frees_its_slot) {
  recourse::VirtualClock clock;
  const auto b = make(concurrency(0, 1), clock);
  const auto d = b->acquire(retry());
  BOOST_REQUIRE(d.allowed);
  BOOST_TEST(!take(*b));
  b->release(retry(), d.token);
  BOOST_TEST(take(*b));
}

BOOST_AUTO_TEST_CASE(retries_in_flight_are_a_percent_of_calls_in_flight) {
  recourse::VirtualClock clock;
  const auto b = make(concurrency(50, 0), clock);
  BOOST_TEST(!take(*b));
  start_calls(*b, 10);
  std::vector<recourse::BudgetDecision> held;
  for (int i = 0; i < 6; ++i) held.push_back(b->acquire(retry()));
  BOOST_TEST(std::ranges::count_if(held, [](const auto& d) { return d.allowed; }) == 5);
  finish_calls(*b, 4);  // 6 in flight: room for 3
  b->release(retry(), held[0].token);
  b->release(retry(), held[1].token);
  BOOST_TEST(!take(*b));  // 3 held
  b->release(retry(), held[2].token);
  BOOST_TEST(take(*b));
  BOOST_TEST(!take(*b));
}

BOOST_AUTO_TEST_CASE(the_larger_of_min_concurrency_and_the_percent_wins) {
  recourse::VirtualClock clock;
  const auto b = make(concurrency(20, 2), clock);
  start_calls(*b, 5);  // 20% of 5 is 1: the minimum of 2 applies
  BOOST_TEST(grants(*b, 10) == 2);
  start_calls(*b, 10);  // 20% of 15 is 3
  BOOST_TEST(grants(*b, 10) == 1);
}

BOOST_AUTO_TEST_CASE(releasing_a_denied_decision_frees_nothing) {
  recourse::VirtualClock clock;
  const auto b = make(concurrency(0, 1), clock);
  BOOST_REQUIRE(take(*b));
  const auto denied = b->acquire(retry());
  BOOST_REQUIRE(!denied.allowed);
  b->release(retry(), denied.token);
  BOOST_TEST(!take(*b));
}

BOOST_AUTO_TEST_CASE(unmatched_finishes_do_not_make_room) {
  recourse::VirtualClock clock;
  const auto b = make(concurrency(100, 0), clock);
  finish_calls(*b, 5);
  start_calls(*b, 2);
  BOOST_TEST(grants(*b, 10) == 2);
}

BOOST_AUTO_TEST_CASE(bad_parameters_are_config_errors_naming_the_field) {
  struct Case {
    Table table;
    std::string_view expected;
  };
  const Case cases[]{
      {concurrency(20, 3).add("min", 1), "test.min: unknown field \"min\""},
      {backend("concurrency").add("min_concurrency", 3), "missing required field \"percent\""},
      {concurrency(101, 3), "test.percent: out of range"},
      {concurrency(20, -1), "test.min_concurrency: out of range"},
      {backend("concurrency").add("percent", 20).add("min_concurrency", 1.5),
       "test.min_concurrency: expected an integer"},
  };
  for (const Case& c : cases) BOOST_TEST(contains(errors(c.table), c.expected), errors(c.table));
}

BOOST_AUTO_TEST_CASE(concurrent_retries_in_flight_never_exceed_the_limit) {
  recourse::VirtualClock clock;
  const auto b = make(concurrency(50, 0), clock);
  start_calls(*b, 40);  // room for 20
  std::atomic<int> in_flight{0}, most{0}, granted{0};
  on_threads(4, [&](int) {
    for (int i = 0; i < 2000; ++i) {
      const auto d = b->acquire(retry());
      if (!d.allowed) continue;
      granted.fetch_add(1);
      const int now = in_flight.fetch_add(1) + 1;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      in_flight.fetch_sub(1);  // before release: the slot is still held while counted
      b->release(retry(), d.token);
    }
  });
  BOOST_TEST(most.load() <= 20);
  BOOST_TEST(granted.load() > 0);
  BOOST_TEST(grants(*b, 100) == 20);  // every release was counted
}

BOOST_AUTO_TEST_SUITE_END()
