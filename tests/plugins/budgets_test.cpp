// The standard budget plugins — token_bucket, grpc_throttle, ratio, concurrency — loaded from
// their shared objects, driven in virtual time: thresholds, refills and window expiry at exact
// instants, parameter validation, and one multi-threaded invariant each (run under TSan too).
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "plugin_harness.hpp"

using namespace std::chrono_literals;
using plugin_harness::Table;
using recourse::OutcomeKind;

namespace {

constexpr auto budget = recourse::ComponentCategory::budget;

// A table as [budgets.<name>] would give it: the plugin field is always there.
Table backend(const char* name) { return Table().add("plugin", name); }

// The plugin a table names: its first field is always `plugin`.
std::string_view backend_of(const Table& table) { return table.node.fields.front().value.string; }

std::shared_ptr<recourse::Budget> make(const Table& table, recourse::VirtualClock& clock) {
  const recourse::PluginContext services{&clock, nullptr, nullptr};
  return plugin_harness::create<recourse::Budget>(budget, backend_of(table), table, services);
}

// Every error creating it gives, one per line.
std::string errors(const Table& table) {
  recourse::VirtualClock clock;
  const recourse::PluginContext services{&clock, nullptr, nullptr};
  std::string text;
  for (const auto& e : plugin_harness::errors_creating<recourse::Budget>(budget, backend_of(table), table, services))
    text += recourse::to_string(e) + "\n";
  return text;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

recourse::BudgetRequest retry(int cost = 1) { return {"payments.Charge", false, 1, cost, {}}; }

bool take(recourse::Budget& b, int cost = 1) { return b.acquire(retry(cost)).allowed; }

// How many of `n` acquires are granted (none released).
int grants(recourse::Budget& b, int n) {
  int granted = 0;
  for (int i = 0; i < n; ++i) granted += take(b) ? 1 : 0;
  return granted;
}

void record(recourse::Budget& b, OutcomeKind kind, int times = 1) {
  for (int i = 0; i < times; ++i) b.record("payments.Charge", recourse::Outcome{kind, {}, std::nullopt}, {});
}

void start_calls(recourse::Budget& b, int n) {
  for (int i = 0; i < n; ++i) b.call_started("payments.Charge", {});
}

void finish_calls(recourse::Budget& b, int n) {
  for (int i = 0; i < n; ++i) b.call_finished("payments.Charge", {});
}

// Runs `body(thread_index)` on `n` threads at once.
template <class Body>
void on_threads(int n, Body body) {
  std::vector<std::jthread> threads;
  for (int t = 0; t < n; ++t) threads.emplace_back([&body, t] { body(t); });
}

}  // namespace

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
  const auto e = plugin_harness::errors_creating<recourse::Budget>(
      budget, "token_bucket", bucket(1, 1), no_clock);
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

BOOST_AUTO_TEST_SUITE(grpc_throttle)

Table throttle(double max_tokens, double token_ratio) {
  return backend("grpc_throttle").add("max_tokens", max_tokens).add("token_ratio", token_ratio);
}

BOOST_AUTO_TEST_CASE(starts_at_max_tokens_and_allows_retries) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(10, 1), clock);
  const auto d = b->acquire(retry());
  BOOST_TEST(d.allowed);
  BOOST_TEST(d.reason == "allowed");
}

BOOST_AUTO_TEST_CASE(failures_stop_retries_once_tokens_fall_to_half_of_max) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(10, 1), clock);
  record(*b, OutcomeKind::retryable, 4);
  BOOST_TEST(take(*b));  // 6 > 5
  record(*b, OutcomeKind::retryable);
  const auto d = b->acquire(retry());  // 5 is not above half
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.reason == "budget_denied");
}

BOOST_AUTO_TEST_CASE(each_success_gives_back_token_ratio) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(10, 0.1), clock);
  record(*b, OutcomeKind::retryable, 5);
  BOOST_TEST(!take(*b));  // 5.0
  record(*b, OutcomeKind::success);
  BOOST_TEST(take(*b));  // 5.1
  record(*b, OutcomeKind::retryable);
  record(*b, OutcomeKind::success, 9);
  BOOST_TEST(!take(*b));  // 4.1 + 0.9 = 5.0, exactly: tokens are thousandths
  record(*b, OutcomeKind::success);
  BOOST_TEST(take(*b));
}

BOOST_AUTO_TEST_CASE(tokens_never_rise_above_max_tokens) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(10, 1), clock);
  record(*b, OutcomeKind::success, 100);
  record(*b, OutcomeKind::retryable, 5);
  BOOST_TEST(!take(*b));
}

BOOST_AUTO_TEST_CASE(tokens_never_fall_below_zero) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(10, 1), clock);
  record(*b, OutcomeKind::retryable, 100);
  record(*b, OutcomeKind::success, 6);
  BOOST_TEST(take(*b));
}

BOOST_AUTO_TEST_CASE(only_retryable_failures_count_as_gRFC_A6_says) {
  // Clients sending INVALID_ARGUMENT must not switch retries off for everyone sharing the
  // throttle: non-retryable failures, aborts and unknown outcomes say nothing of server load.
  recourse::VirtualClock clock;
  const auto b = make(throttle(10, 1), clock);
  record(*b, OutcomeKind::retryable, 4);
  record(*b, OutcomeKind::non_retryable, 100);
  record(*b, OutcomeKind::abort, 100);
  record(*b, OutcomeKind::unknown, 100);
  BOOST_TEST(take(*b));  // still 6
  record(*b, OutcomeKind::retryable);
  BOOST_TEST(!take(*b));  // 5
}

BOOST_AUTO_TEST_CASE(a_pushback_that_says_stop_counts_as_a_failure) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(10, 1), clock);
  const recourse::Outcome stop{OutcomeKind::non_retryable, recourse::reason::grpc_pushback_stop, std::nullopt};
  const recourse::Outcome invalid{OutcomeKind::non_retryable, "grpc_invalid_argument", std::nullopt};
  for (int i = 0; i < 4; ++i) b->record("k", stop, clock.now());
  for (int i = 0; i < 50; ++i) b->record("k", invalid, clock.now());
  BOOST_TEST(take(*b));  // 6
  b->record("k", stop, clock.now());
  BOOST_TEST(!take(*b));  // 5
}

BOOST_AUTO_TEST_CASE(asking_spends_nothing) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(2, 1), clock);
  BOOST_TEST(grants(*b, 1000) == 1000);
  record(*b, OutcomeKind::retryable);
  BOOST_TEST(!take(*b));  // 1 of 2: at half
}

BOOST_AUTO_TEST_CASE(bad_parameters_are_config_errors_naming_the_field) {
  struct Case {
    Table table;
    std::string_view expected;
  };
  const Case cases[]{
      {throttle(10, 1).add("max_token", 5), "test.max_token: unknown field \"max_token\""},
      {backend("grpc_throttle").add("token_ratio", 0.1), "missing required field \"max_tokens\""},
      {backend("grpc_throttle").add("max_tokens", 10), "missing required field \"token_ratio\""},
      {throttle(0, 1), "test.max_tokens: must be at least 0.001"},
      {throttle(10, 0.0001), "test.token_ratio: must be at least 0.001"},
      {throttle(10, -1), "test.token_ratio: out of range"},
      {backend("grpc_throttle").add("max_tokens", "ten").add("token_ratio", 1), "test.max_tokens: expected a number"},
  };
  for (const Case& c : cases) BOOST_TEST(contains(errors(c.table), c.expected), errors(c.table));
}

BOOST_AUTO_TEST_CASE(integer_parameters_are_accepted) {
  recourse::VirtualClock clock;
  const auto b = make(backend("grpc_throttle").add("max_tokens", 4).add("token_ratio", 1), clock);
  record(*b, OutcomeKind::retryable);
  BOOST_TEST(take(*b));  // 3 > 2
  record(*b, OutcomeKind::retryable);
  BOOST_TEST(!take(*b));
}

BOOST_AUTO_TEST_CASE(concurrent_outcomes_are_all_counted) {
  recourse::VirtualClock clock;
  const auto b = make(throttle(1000, 1), clock);
  std::atomic<int> denied{0};
  // 400 failures from four threads while they also ask: a lost update would leave more tokens.
  on_threads(4, [&](int) {
    for (int i = 0; i < 100; ++i) {
      record(*b, OutcomeKind::retryable);
      record(*b, OutcomeKind::abort);
      if (!take(*b)) denied.fetch_add(1);
    }
  });
  BOOST_TEST(denied.load() == 0);  // never down to 500 on the way
  BOOST_TEST(take(*b));              // 600
  on_threads(4, [&](int) { record(*b, OutcomeKind::retryable, 25); });
  BOOST_TEST(!take(*b));  // exactly 500
  record(*b, OutcomeKind::success);
  BOOST_TEST(take(*b));  // 501
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ratio_budget)

Table ratio(double percent, double min_per_second) {
  return backend("ratio").add("percent", percent).add("min_per_second", min_per_second);
}

BOOST_AUTO_TEST_CASE(min_per_second_allows_retries_with_no_calls) {
  recourse::VirtualClock clock;
  const auto b = make(ratio(0, 1), clock);  // 1/s over the default 10s window
  BOOST_TEST(grants(*b, 10) == 10);
  const auto d = b->acquire(retry());
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.reason == "budget_denied");
}

BOOST_AUTO_TEST_CASE(defaults_are_a_ten_second_window_and_ten_retries_a_second) {
  recourse::VirtualClock clock;
  const auto b = make(backend("ratio").add("percent", 0), clock);
  BOOST_TEST(grants(*b, 200) == 100);
}

BOOST_AUTO_TEST_CASE(a_retry_released_unused_is_not_counted) {
  recourse::VirtualClock clock;
  const auto b = make(ratio(0, 0.1), clock);  // one retry per 10 s window
  auto request = retry();
  const auto d = b->acquire(request);
  BOOST_REQUIRE(d.allowed);
  BOOST_TEST(!take(*b));
  request.unused = true;
  b->release(request, d.token);
  BOOST_TEST(take(*b));
  BOOST_TEST(!take(*b));
}

BOOST_AUTO_TEST_CASE(retries_are_a_percent_of_the_calls_started) {
  recourse::VirtualClock clock;
  const auto b = make(ratio(20, 0), clock);
  BOOST_TEST(!take(*b));
  start_calls(*b, 10);
  BOOST_TEST(grants(*b, 5) == 2);
  start_calls(*b, 5);
  BOOST_TEST(grants(*b, 5) == 1);  // 3 of 15
}

BOOST_AUTO_TEST_CASE(a_percent_above_100_allows_several_retries_per_call) {
  recourse::VirtualClock clock;
  const auto b = make(ratio(250, 0), clock);
  start_calls(*b, 2);
  BOOST_TEST(grants(*b, 10) == 5);
}

BOOST_AUTO_TEST_CASE(outcomes_are_not_calls) {
  recourse::VirtualClock clock;
  const auto b = make(ratio(100, 0), clock);
  record(*b, OutcomeKind::success, 5);
  record(*b, OutcomeKind::retryable, 5);
  BOOST_TEST(!take(*b));
}

BOOST_AUTO_TEST_CASE(calls_stop_counting_once_the_window_has_passed) {
  recourse::VirtualClock clock;
  const auto b = make(backend("ratio").add("percent", 100).add("min_per_second", 0).add("window", "10s"), clock);
  start_calls(*b, 2);
  BOOST_TEST(take(*b));
  clock.advance(9999ms);
  BOOST_TEST(take(*b));
  BOOST_TEST(!take(*b));
  clock.advance(1ms);  // t = 10s: the calls of t = 0 have left the window
  start_calls(*b, 1);
  BOOST_TEST(!take(*b));  // 1 call, and the retry of t = 9.999s still counts
}

BOOST_AUTO_TEST_CASE(retries_stop_counting_by_whole_buckets_of_a_tenth_of_the_window) {
  recourse::VirtualClock clock;
  const auto b = make(backend("ratio").add("percent", 0).add("min_per_second", 1).add("window", "10s"), clock);
  clock.advance(500ms);
  BOOST_TEST(grants(*b, 20) == 10);  // in the bucket [0s, 1s)
  clock.advance(9499ms);             // t = 9.999s
  BOOST_TEST(!take(*b));
  clock.advance(1ms);  // t = 10s: bucket [0s, 1s) is out, though 9.5s have passed since
  BOOST_TEST(grants(*b, 20) == 10);
}

BOOST_AUTO_TEST_CASE(a_short_window_scales_min_per_second) {
  recourse::VirtualClock clock;
  const auto b = make(backend("ratio").add("percent", 0).add("min_per_second", 10).add("window", "500ms"), clock);
  BOOST_TEST(grants(*b, 20) == 5);
  clock.advance(500ms);
  BOOST_TEST(grants(*b, 20) == 5);
}

BOOST_AUTO_TEST_CASE(bad_parameters_are_config_errors_naming_the_field) {
  struct Case {
    Table table;
    std::string_view expected;
  };
  const Case cases[]{
      {ratio(20, 10).add("windw", "10s"), "test.windw: unknown field \"windw\""},
      {backend("ratio").add("window", "10s"), "missing required field \"percent\""},
      {ratio(1001, 10), "test.percent: out of range"},
      {ratio(-1, 10), "test.percent: out of range"},
      {ratio(20, -1), "test.min_per_second: out of range"},
      {ratio(20, 10).add("window", "soon"), "test.window: invalid duration \"soon\""},
      {ratio(20, 10).add("window", 10), "test.window: expected a duration string"},
      {ratio(20, 10).add("window", "0s"), "test.window: must be at least 10ns"},
      {backend("ratio").add("percent", "20%"), "test.percent: expected a number"},
  };
  for (const Case& c : cases) BOOST_TEST(contains(errors(c.table), c.expected), errors(c.table));
}

BOOST_AUTO_TEST_CASE(concurrent_acquires_never_exceed_the_ratio) {
  recourse::VirtualClock clock;
  const auto b = make(ratio(10, 0), clock);
  std::atomic<int> granted{0};
  on_threads(4, [&](int) {
    for (int i = 0; i < 100; ++i) {
      b->call_started("payments.Charge", {});
      if (take(*b)) granted.fetch_add(1);
      record(*b, OutcomeKind::retryable);
    }
  });
  BOOST_TEST(granted.load() <= 40);
  BOOST_TEST(granted.load() + grants(*b, 100) == 40);  // 10% of 400 calls, every one counted
}

BOOST_AUTO_TEST_SUITE_END()

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
