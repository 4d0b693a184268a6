// The redis_budget plugin (redis_token_bucket, redis_ratio) against a real redis-server each
// test starts on a free loopback port (redis_test_server.hpp): token-bucket and ratio
// arithmetic on the server, one budget shared by instances naming one key, NOSCRIPT after
// SCRIPT FLUSH, on_unavailable (local, allow, deny) within one timeout of Redis dying, the
// reconnect backoff on the host's virtual clock, a server that never answers or sleeps, many
// threads against a stalled server, batching, reloads, and config errors naming the field.
// Timing assertions are bounds (a call ends within 50 ms for a 2 ms timeout), never sleeps.
#include <boost/test/unit_test.hpp>
#include <boost/test/data/test_case.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "budget_test_helpers.hpp"
#include "plugin_harness.hpp"
#include "redis_test_server.hpp"

using namespace std::chrono_literals;
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
using redis_test::RedisTestServer;
using SteadyClock = std::chrono::steady_clock;

namespace {

// For a 2 ms timeout: a bound on a call, not a wait — with room for the sanitizer builds (-O0,
// 2–10× slower) on a loaded 2-core machine; a call blocked on Redis would take seconds.
constexpr double generous_bound_ms = 200;

double ms(SteadyClock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
bool before(SteadyClock::time_point deadline) { return SteadyClock::now() < deadline; }

// The arithmetic tests' timeout: long enough that a loaded machine (two cores, builds running)
// does not turn them into timeout tests; the tests of the bound set 2 ms themselves.
constexpr const char* unhurried = "250ms";

// A table has each field once, so what these set is in their parameters.
Table bucket(const RedisTestServer& redis, int capacity, double refill_per_second, const char* key = "test:bucket",
             int fleet_size = 1, const char* timeout = unhurried) {
  return backend("redis_token_bucket")
      .add("url", redis.url().c_str())
      .add("key", key)
      .add("capacity", capacity)
      .add("refill_per_second", refill_per_second)
      .add("fleet_size", fleet_size)
      .add("timeout", timeout);
}

Table window(const RedisTestServer& redis, double percent, const char* key = "test:window", int fleet_size = 1,
             double min_per_second = 0) {
  return backend("redis_ratio")
      .add("url", redis.url().c_str())
      .add("key", key)
      .add("percent", percent)
      .add("min_per_second", min_per_second)
      .add("fleet_size", fleet_size)
      .add("timeout", unhurried);
}

// The decision and how long it took on the steady clock.
struct Timed {
  recourse::BudgetDecision decision;
  SteadyClock::duration took;
};
Timed timed_acquire(recourse::Budget& b) {
  const auto start = SteadyClock::now();
  const auto d = b.acquire(retry());
  return {d, SteadyClock::now() - start};
}

std::string hget(const RedisTestServer& redis, const char* key, const char* field) {
  return redis.command({"HGET", key, field});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(redis_token_bucket)

BOOST_AUTO_TEST_CASE(grants_and_denials_follow_token_bucket_arithmetic) {
  RedisTestServer redis;
  recourse::VirtualClock clock;
  const auto b = make(bucket(redis, 5, 0), clock);
  BOOST_TEST(take(*b, 3));
  const auto denied = b->acquire(retry(3));  // 2 left: a denied retry takes nothing
  BOOST_TEST(!denied.allowed);
  BOOST_TEST(denied.reason == "budget_denied");
  const auto two = b->acquire(retry(2));
  BOOST_TEST(two.allowed);
  BOOST_TEST(two.reason == "allowed");
  BOOST_TEST(!take(*b, 1));
  BOOST_TEST(take(*b, 0));  // a free retry is always allowed
  BOOST_TEST(hget(redis, "test:bucket", "tokens") == "0");
}

BOOST_AUTO_TEST_CASE(initial_sets_the_starting_tokens_and_a_cost_above_capacity_is_never_allowed) {
  RedisTestServer redis;
  recourse::VirtualClock clock;
  const auto one = make(bucket(redis, 10, 0, "test:one").add("initial", 1), clock);
  BOOST_TEST(grants(*one, 5) == 1);
  const auto two = make(bucket(redis, 2, 1000, "test:two"), clock);
  BOOST_TEST(!take(*two, 3));
  BOOST_TEST(take(*two, 2));
}

BOOST_AUTO_TEST_CASE(refills_by_the_server_clock_not_the_hosts) {
  RedisTestServer redis;
  recourse::VirtualClock clock;  // never advanced: only the server's time can refill
  const auto b = make(bucket(redis, 1, 20).add("initial", 0), clock);
  const auto start = SteadyClock::now();
  BOOST_TEST(!take(*b));
  while (!take(*b)) BOOST_REQUIRE(before(start + 5s));
  // One token is 1/20 s of the server's time; a little slack for the two clocks' readings.
  BOOST_TEST(ms(SteadyClock::now() - start) >= 45.0);
}

BOOST_AUTO_TEST_CASE(two_instances_naming_one_key_share_one_bucket) {
  RedisTestServer redis;
  recourse::VirtualClock host_a, host_b;  // as two processes
  const auto a = make(bucket(redis, 4, 0, "fleet:shared"), host_a);
  const auto b = make(bucket(redis, 4, 0, "fleet:shared"), host_b);
  const auto other = make(bucket(redis, 4, 0, "fleet:other"), host_b);
  BOOST_TEST(grants(*a, 3) == 3);
  BOOST_TEST(grants(*b, 3) == 1);
  BOOST_TEST(!take(*a));
  BOOST_TEST(grants(*other, 5) == 4);  // another key, another bucket
}

BOOST_AUTO_TEST_CASE(the_default_key_is_derived_from_the_budget_name) {
  RedisTestServer redis;
  recourse::VirtualClock clock;
  Table table = backend("redis_token_bucket")
                    .add("url", redis.url().c_str())
                    .add("capacity", 3)
                    .add("refill_per_second", 0)
                    .add("fleet_size", 2)
                    .add("timeout", unhurried);
  const auto b = make(table, clock);  // the harness names the instance after its plugin
  BOOST_TEST(take(*b));
  BOOST_TEST(hget(redis, "recourse:budget:redis_token_bucket:redis_token_bucket", "tokens") == "2");
}

BOOST_AUTO_TEST_CASE(a_retry_released_unused_gives_its_tokens_back) {
  RedisTestServer redis;
  recourse::VirtualClock clock;
  const auto b = make(bucket(redis, 2, 0), clock);
  auto request = retry(2);
  const auto d = b->acquire(request);
  BOOST_REQUIRE(d.allowed);
  BOOST_TEST(!take(*b));
  request.unused = true;
  b->release(request, d.token);
  BOOST_TEST(take(*b, 2));
  BOOST_TEST(!take(*b));
}

BOOST_AUTO_TEST_CASE(noscript_after_script_flush_is_recovered) {
  RedisTestServer redis;
  recourse::VirtualClock clock;
  const auto b = make(bucket(redis, 3, 0), clock);
  BOOST_TEST(take(*b));
  BOOST_REQUIRE(redis.command({"SCRIPT", "FLUSH"}) == "OK");
  const std::string loads_before = redis.info("commandstats", "cmdstat_script|load");
  const auto d = b->acquire(retry());
  BOOST_TEST(d.allowed);
  BOOST_TEST(d.reason == "allowed");  // not budget_redis_unavailable: the script was loaded again
  BOOST_TEST(redis.info("commandstats", "cmdstat_script|load") != loads_before);
  BOOST_TEST(take(*b));
  BOOST_TEST(!take(*b));  // the bucket itself went on: 3 tokens in all
}

BOOST_DATA_TEST_CASE(redis_killed_decisions_follow_on_unavailable_within_one_timeout,
                     boost::unit_test::data::make({"local", "allow", "deny"}), mode) {
  RedisTestServer redis;
  recourse::VirtualClock clock;
  // capacity 8 over a fleet of 4: 2 tokens for this process while Redis is away.
  const auto b = make(bucket(redis, 8, 0, "test:bucket", 4).add("on_unavailable", mode), clock);
  BOOST_TEST(take(*b));
  redis.kill();
  const Timed first = timed_acquire(*b);
  BOOST_TEST(ms(first.took) < generous_bound_ms);
  BOOST_TEST(first.decision.reason == "budget_redis_unavailable");
  int allowed = first.decision.allowed ? 1 : 0;
  for (int i = 0; i < 9; ++i) {
    const Timed t = timed_acquire(*b);
    BOOST_TEST(ms(t.took) < generous_bound_ms);  // down: no connect attempt until the backoff is over
    BOOST_TEST(t.decision.reason == "budget_redis_unavailable");
    allowed += t.decision.allowed ? 1 : 0;
  }
  const std::string_view m = mode;
  if (m == "local") BOOST_TEST(allowed == 2);
  if (m == "allow") BOOST_TEST(allowed == 10);
  if (m == "deny") BOOST_TEST(allowed == 0);
}

BOOST_AUTO_TEST_CASE(restarted_redis_is_used_again_once_the_growing_reconnect_backoff_allows) {
  RedisTestServer redis;
  recourse::VirtualClock clock;
  const auto b = make(bucket(redis, 100, 0)
                          .add("on_unavailable", "deny")
                          .add("reconnect_backoff", "100ms")
                          .add("reconnect_backoff_max", "1s"),
                      clock);
  BOOST_TEST(b->acquire(retry()).reason == "allowed");
  redis.kill();
  BOOST_TEST(b->acquire(retry()).reason == "budget_redis_unavailable");  // down: retry in 100ms
  clock.advance(100ms);
  BOOST_TEST(b->acquire(retry()).reason == "budget_redis_unavailable");  // reconnect failed: 200ms
  redis.restart();
  BOOST_TEST(b->acquire(retry()).reason == "budget_redis_unavailable");  // not due yet
  clock.advance(100ms);
  BOOST_TEST(b->acquire(retry()).reason == "budget_redis_unavailable");  // 100 of 200ms
  clock.advance(100ms);
  const auto back = b->acquire(retry());
  BOOST_TEST(back.allowed);
  BOOST_TEST(back.reason == "allowed");  // the shared bucket again (a fresh server: a full one)
  BOOST_TEST(hget(redis, "test:bucket", "tokens") == "99");
}

BOOST_AUTO_TEST_CASE(a_server_that_accepts_and_never_answers_does_not_hold_a_call_past_the_timeout) {
  redis_test::SilentListener silent;
  recourse::VirtualClock clock;
  const auto b = make(backend("redis_token_bucket")
                          .add("url", silent.url().c_str())
                          .add("capacity", 4)
                          .add("refill_per_second", 0)
                          .add("fleet_size", 2)
                          .add("timeout", "2ms"),
                      clock);
  const Timed t = timed_acquire(*b);
  BOOST_TEST(ms(t.took) < generous_bound_ms);
  BOOST_TEST(t.decision.reason == "budget_redis_unavailable");
  BOOST_TEST(t.decision.allowed);  // local: 4 / 2 tokens here
}

BOOST_AUTO_TEST_CASE(a_redis_busy_in_a_slow_command_does_not_hold_calls_past_the_timeout) {
  RedisTestServer redis;
  recourse::VirtualClock clock;
  const auto b =
      make(bucket(redis, 1000, 0, "test:bucket", 1, "2ms").add("connections", 2).add("on_unavailable", "deny"), clock);
  (void)take(*b);  // connects and loads the script (if the machine is quick enough for 2 ms)
  std::jthread sleeper([&] { (void)redis.command({"DEBUG", "SLEEP", "1"}); });
  // The server is asleep once a PING of our own goes unanswered (polled, bounded).
  const auto until = SteadyClock::now() + 5s;
  for (;;) {
    BOOST_REQUIRE(before(until));
    redis_test::Context probe = redis.connect(20ms);
    if (probe == nullptr || RedisTestServer::run(*probe, {"PING"}) != "PONG") break;
  }
  // Eight threads at once over two connections: those waiting for a connection count the wait
  // in their bound too.
  std::atomic<long long> longest_us{0};
  std::atomic<int> unavailable{0};
  on_threads(8, [&](int) {
    for (int i = 0; i < 5; ++i) {
      const Timed t = timed_acquire(*b);
      const long long us = std::chrono::duration_cast<std::chrono::microseconds>(t.took).count();
      long long seen = longest_us.load();
      while (us > seen && !longest_us.compare_exchange_weak(seen, us)) {
      }
      if (t.decision.reason == "budget_redis_unavailable") unavailable.fetch_add(1);
    }
  });
  BOOST_TEST(longest_us.load() / 1000.0 < generous_bound_ms);
  BOOST_TEST(unavailable.load() == 40);
}

BOOST_AUTO_TEST_CASE(batching_takes_several_tokens_a_round_trip_and_spends_them_locally) {
  RedisTestServer redis;
  recourse::VirtualClock clock;
  const auto a = make(bucket(redis, 10, 0).add("batch", 4), clock);
  BOOST_TEST(take(*a));
  BOOST_TEST(hget(redis, "test:bucket", "tokens") == "6");  // 4 taken: 1 spent, 3 held
  BOOST_TEST(grants(*a, 3) == 3);
  BOOST_TEST(hget(redis, "test:bucket", "tokens") == "6");  // no round trip for those
  BOOST_TEST(take(*a));
  BOOST_TEST(hget(redis, "test:bucket", "tokens") == "2");
  // Another process shares what is left; the fleet never gets more than the bucket held.
  recourse::VirtualClock other_host;
  const auto b = make(bucket(redis, 10, 0), other_host);
  BOOST_TEST(grants(*b, 5) == 2);
  BOOST_TEST(grants(*a, 5) == 3);  // a's held tokens
}

BOOST_AUTO_TEST_CASE(batched_tokens_held_past_batch_ttl_or_at_the_end_go_back_to_the_bucket) {
  RedisTestServer redis;
  recourse::VirtualClock clock;
  auto a = make(bucket(redis, 10, 0).add("batch", 5).add("batch_ttl", "1s"), clock);
  BOOST_TEST(take(*a));  // holds 4
  BOOST_TEST(hget(redis, "test:bucket", "tokens") == "5");
  clock.advance(1s);
  BOOST_TEST(take(*a));  // the 4 held go back, 5 are taken anew
  BOOST_TEST(hget(redis, "test:bucket", "tokens") == "4");
  a.reset();  // the 4 held now go back too
  BOOST_TEST(hget(redis, "test:bucket", "tokens") == "8");
}

BOOST_AUTO_TEST_CASE(a_reload_keeps_the_shared_bucket_and_the_connections) {
  RedisTestServer redis;
  recourse::VirtualClock clock;
  const auto old = make(bucket(redis, 5, 0), clock);
  BOOST_TEST(grants(*old, 2) == 2);
  const std::string clients = redis.info("clients", "connected_clients");
  const auto replacement = make(bucket(redis, 6, 0), clock);  // a reload raised the capacity
  replacement->carry_from(*old);
  BOOST_TEST(grants(*replacement, 10) == 3);  // not reset: 5 - 2 left
  BOOST_TEST(redis.info("clients", "connected_clients") == clients);  // the old budget's connection, reused
}

BOOST_AUTO_TEST_CASE(bad_settings_are_config_errors_naming_the_field) {
  struct Case {
    Table table;
    std::string_view expected;
  };
  const Case cases[]{
      {backend("redis_token_bucket").add("refill_per_second", 1).add("fleet_size", 2),
       "missing required field \"capacity\""},
      {backend("redis_token_bucket")
           .add("capacity", 10)
           .add("refill_per_second", 1)
           .add("fleet_size", 2)
           .add("url", "http://x"),
       "test.url: expected redis://host[:port][/db], got \"http://x\""},
      {backend("redis_token_bucket")
           .add("capacity", 10)
           .add("refill_per_second", 1)
           .add("fleet_size", 2)
           .add("url", "redis://h:99999"),
       "test.url: the port in \"redis://h:99999\" is not a number from 1 to 65535"},
      {backend("redis_token_bucket").add("capacity", 10).add("refill_per_second", 1).add("on_unavailable", "maybe"),
       "test.on_unavailable: unknown mode \"maybe\"; known: local, allow, deny"},
      {backend("redis_token_bucket").add("capacity", 10).add("refill_per_second", 1),
       "missing required field \"fleet_size\""},
      {backend("redis_token_bucket")
           .add("capacity", 10)
           .add("refill_per_second", 1)
           .add("fleet_size", 2)
           .add("url", "redis://h")
           .add("port", 7000),
       "test.url: give either url or host and port, not both"},
      {backend("redis_token_bucket")
           .add("capacity", 10)
           .add("refill_per_second", 1)
           .add("fleet_size", 2)
           .add("timeout", "1ns"),
       "test.timeout: must be from 100us to 10s"},
      {backend("redis_token_bucket")
           .add("capacity", 10)
           .add("refill_per_second", 1)
           .add("fleet_size", 2)
           .add("batch", 0),
       "test.batch: out of range: 0"},
      {backend("redis_token_bucket")
           .add("capacity", 10)
           .add("refill_per_second", 1)
           .add("fleet_size", 2)
           .add("capacitty", 3),
       "test.capacitty: unknown field \"capacitty\""},
      {backend("redis_ratio").add("fleet_size", 2), "missing required field \"percent\""},
      {backend("redis_ratio").add("percent", 10).add("fleet_size", 2).add("window", "1ms"),
       "test.window: must be at least 10ms"},
  };
  for (const Case& c : cases) BOOST_TEST(contains(errors(c.table), c.expected), errors(c.table));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(redis_ratio)

BOOST_AUTO_TEST_CASE(retries_are_percent_of_the_calls_started_plus_the_floor) {
  RedisTestServer redis;
  recourse::VirtualClock clock;
  const auto b = make(window(redis, 50), clock);
  start_calls(*b, 10);
  BOOST_TEST(grants(*b, 10) == 5);
  const auto denied = b->acquire(retry());
  BOOST_TEST(denied.reason == "budget_denied");
  const auto floor = make(window(redis, 0, "test:floor", 1, 0.5).add("window", "10s"), clock);
  BOOST_TEST(grants(*floor, 10) == 5);  // 0.5 a second over 10 s, with no calls at all
}

BOOST_AUTO_TEST_CASE(two_instances_naming_one_key_count_in_one_window) {
  RedisTestServer redis;
  recourse::VirtualClock host_a, host_b;
  const auto a = make(window(redis, 50, "fleet:window"), host_a);
  const auto b = make(window(redis, 50, "fleet:window"), host_b);
  start_calls(*a, 10);
  BOOST_TEST(a->level().value_or(-1) == 5.0);  // the level's round trip sends a's calls
  BOOST_TEST(grants(*b, 10) == 5);             // b has started none, but the fleet has
  BOOST_TEST(!take(*a));
}

BOOST_AUTO_TEST_CASE(calls_reach_the_window_once_a_bucket_width_has_passed_without_a_retry) {
  RedisTestServer redis;
  recourse::VirtualClock host_a, host_b;
  const auto a = make(window(redis, 100, "fleet:window").add("window", "10s"), host_a);
  const auto b = make(window(redis, 100, "fleet:window").add("window", "10s"), host_b);
  start_calls(*a, 3);
  BOOST_TEST(grants(*b, 5) == 0);  // a's calls are still with a
  host_a.advance(1s);              // a bucket width (window / 10)
  start_calls(*a, 1);              // sends the four
  BOOST_TEST(grants(*b, 5) == 4);
}

BOOST_AUTO_TEST_CASE(a_retry_released_unused_is_uncounted) {
  RedisTestServer redis;
  recourse::VirtualClock clock;
  const auto b = make(window(redis, 10), clock);
  start_calls(*b, 10);
  auto request = retry();
  const auto d = b->acquire(request);
  BOOST_REQUIRE(d.allowed);
  BOOST_TEST(!take(*b));
  request.unused = true;
  b->release(request, d.token);
  BOOST_TEST(take(*b));  // the uncount went with this round trip
  BOOST_TEST(!take(*b));
}

BOOST_AUTO_TEST_CASE(batching_reserves_retries_a_round_trip) {
  RedisTestServer redis;
  recourse::VirtualClock clock;
  const auto a = make(window(redis, 50).add("batch", 3), clock);
  start_calls(*a, 10);
  BOOST_TEST(take(*a));
  const auto b = make(window(redis, 50), clock);
  BOOST_TEST(grants(*b, 10) == 2);  // 3 of the fleet's 5 are a's
  BOOST_TEST(grants(*a, 10) == 2);  // its two held ones
}

BOOST_DATA_TEST_CASE(redis_killed_decisions_follow_on_unavailable,
                     boost::unit_test::data::make({"local", "allow", "deny"}), mode) {
  RedisTestServer redis;
  recourse::VirtualClock clock;
  const auto b = make(window(redis, 50, "test:window", 2).add("on_unavailable", mode), clock);
  start_calls(*b, 10);  // counted in the local window too
  BOOST_TEST(take(*b));
  redis.kill();
  int allowed = 0;
  for (int i = 0; i < 10; ++i) {
    const Timed t = timed_acquire(*b);
    BOOST_TEST(ms(t.took) < generous_bound_ms);
    BOOST_TEST(t.decision.reason == "budget_redis_unavailable");
    allowed += t.decision.allowed ? 1 : 0;
  }
  const std::string_view m = mode;
  if (m == "local") BOOST_TEST(allowed == 5);  // 50% of this process's 10 calls
  if (m == "allow") BOOST_TEST(allowed == 10);
  if (m == "deny") BOOST_TEST(allowed == 0);
}

BOOST_AUTO_TEST_SUITE_END()
