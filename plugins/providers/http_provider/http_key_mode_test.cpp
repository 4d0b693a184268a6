// The `http` provider's per-key mode against a real HTTP server (cpp-httplib, in this process,
// on a free loopback port): a key's first call waits (bounded) for `GET {base}/{key}` and runs
// on its answer; concurrent first calls make one request; answers expire and are fetched again
// while they serve, and one that changes makes a new generation; failures and bad bodies keep a
// key's last good answer and say why.
#include <boost/test/unit_test.hpp>

#include <httplib.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <expected>
#include <optional>
#include <string>
#include <thread>
#include <vector>

import recourse.host.runtime;

#include "feed_test_helpers.hpp"
#include "loopback_http_server.hpp"

using feed_test::accepted;
using feed_test::eventually;
using feed_test::Running;
using namespace std::chrono_literals;

namespace {

struct Answer {
  int status = 200;
  std::string body;
  std::string etag;
};

// What the per-key control plane answers, by key; a held key's requests wait for release().
struct KeyPlane {
  std::mutex mutex;
  std::condition_variable released;
  std::map<std::string, Answer> answers;  // a key not here: 404
  std::map<std::string, int> requests;
  std::map<std::string, int> not_modified;
  std::vector<std::string> targets;  // as sent, before the server decoded them
  std::string held;
  int waiting = 0;  // requests being held
  bool ending = false;

  void set(const std::string& key, Answer answer) {
    const std::lock_guard lock(mutex);
    answers.insert_or_assign(key, std::move(answer));
  }
  void hold(std::string key) {
    const std::lock_guard lock(mutex);
    held = std::move(key);
  }
  void release() {
    {
      const std::lock_guard lock(mutex);
      held.clear();
    }
    released.notify_all();
  }
  int requests_for(const std::string& key) {
    const std::lock_guard lock(mutex);
    return requests[key];
  }
  int not_modified_for(const std::string& key) {
    const std::lock_guard lock(mutex);
    return not_modified[key];
  }
  int held_requests() {
    const std::lock_guard lock(mutex);
    return waiting;
  }
};

class KeyPlaneServer {
 public:
  explicit KeyPlaneServer(KeyPlane& plane) : plane_(plane) {
    http_.server().Get(R"(/keys/(.+))", [this](const httplib::Request& request, httplib::Response& response) {
      const std::string key = request.matches[1];
      std::unique_lock lock(plane_.mutex);
      ++plane_.requests[key];
      plane_.targets.push_back(request.target);
      if (key == plane_.held) {
        ++plane_.waiting;
        plane_.released.wait(lock, [&] { return plane_.held != key || plane_.ending; });
        --plane_.waiting;
      }
      const auto it = plane_.answers.find(key);
      if (it == plane_.answers.end()) {
        response.status = 404;
        return;
      }
      const Answer& answer = it->second;
      if (answer.status == 200 && !answer.etag.empty() && request.get_header_value("If-None-Match") == answer.etag) {
        ++plane_.not_modified[key];
        response.status = 304;
        return;
      }
      response.status = answer.status;
      if (!answer.etag.empty()) response.set_header("ETag", answer.etag);
      response.set_content(answer.body, "application/toml");
    });
    http_.start();
  }
  ~KeyPlaneServer() {
    {
      const std::lock_guard lock(plane_.mutex);
      plane_.ending = true;
    }
    plane_.released.notify_all();
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(http_.port()) + "/keys"; }

 private:
  KeyPlane& plane_;
  LoopbackHttpServer http_;  // last: stopped before the plane it answers from
};

std::string attempts(int n) {
  return "retry.max_attempts = " + std::to_string(n) + "\nretry.initial_backoff = \"0s\"\nretry.jitter = \"none\"\n";
}

// Per-key mode; the local file gives every key one attempt, and the control plane's own key
// retries twice without waiting.
std::string config(const std::string& base, const std::string& extra = "") {
  return std::string("[plugins]\npaths = [\"") + RECOURSE_PLUGIN_DIR +
         "\"]\n"
         "[provider]\nplugin = \"http\"\nbase_url = \"" +
         base + "\"\ntimeout = \"2s\"\nconnect_timeout = \"500ms\"\n" + extra +
         "\n[policies.\"recourse.control_plane\"]\nretry.max_attempts = 2\nretry.initial_backoff = \"1ms\"\n"
         "retry.jitter = \"none\"\n"
         "[defaults]\nretry.max_attempts = 1\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_provider_per_key)

BOOST_AUTO_TEST_CASE(a_keys_first_call_waits_for_its_policy_and_runs_on_it) {
  KeyPlane plane;
  plane.set("svc.Get", {200, attempts(4), "\"g1\""});
  plane.set("svc.Layered", {200, "retry.max_attempts = 5\nretry.initial_backoff = \"0s\"\n", "\"l1\""});
  KeyPlaneServer server(plane);
  Running running(config(server.base(), "first_wait = \"10s\"") +
                  "[policies.\"svc.Layered\"]\nretry.max_attempts = 3\n");
  BOOST_TEST(running.generation() == 1u);  // nothing fetched before a key is used

  BOOST_TEST(running.attempts("svc.Get") == 4);
  BOOST_TEST((running.source("svc.Get") == recourse::PolicySource::remote));
  // The answer is laid over the key's local entry: its fields win (the rest stay: the CLI's
  // explain test shows both origins).
  BOOST_TEST(running.attempts("svc.Layered") == 5);
  BOOST_TEST((running.source("svc.Layered") == recourse::PolicySource::remote));
  // A 404: the local layers (here [defaults]) decide.
  BOOST_TEST(running.attempts("svc.Unknown") == 1);
  BOOST_TEST((running.source("svc.Unknown") == recourse::PolicySource::static_config));
  // A first call that waited for its answer cost no reload.
  BOOST_TEST(running.generation() == 1u);
  BOOST_TEST(plane.requests_for("svc.Get") == 1);
  BOOST_TEST(plane.requests_for("svc.Unknown") == 1);
  BOOST_TEST(plane.requests_for("recourse.control_plane") == 0);  // its policy is what fetches
  BOOST_TEST(running.status().target == server.base() + "/{key}");
  BOOST_TEST(running.status().fetches == 3u);
}

BOOST_AUTO_TEST_CASE(concurrent_first_calls_of_a_key_make_one_request) {
  KeyPlane plane;
  plane.set("svc.Slow", {200, attempts(4), "\"s1\""});
  plane.hold("svc.Slow");
  KeyPlaneServer server(plane);
  Running running(config(server.base(), "first_wait = \"20s\""));
  constexpr int callers = 8;
  std::array<std::atomic<int>, callers> got{};
  std::atomic<int> started = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < callers; ++i)
    threads.emplace_back([&, i] {
      ++started;
      auto result = running.runtime->executor->try_run(
          "svc.Slow", [](const recourse::Attempt&) -> std::expected<int, int> { return std::unexpected(1); });
      got[i] = result ? -1 : result.error().attempts;
    });
  BOOST_REQUIRE(eventually([&] { return plane.held_requests() == 1 && started == callers; }));
  plane.release();
  for (std::thread& t : threads) t.join();
  BOOST_TEST(plane.requests_for("svc.Slow") == 1);
  for (int i = 0; i < callers; ++i) BOOST_TEST(got[i] == 4, "caller " << i << " ran " << got[i] << " attempts");
}

BOOST_AUTO_TEST_CASE(a_slow_control_plane_bounds_the_first_wait_and_the_answer_comes_by_reload) {
  KeyPlane plane;
  plane.set("svc.Late", {200, attempts(4), "\"v1\""});
  plane.hold("svc.Late");
  KeyPlaneServer server(plane);
  Running running(config(server.base(), "first_wait = \"50ms\""));
  const auto started = std::chrono::steady_clock::now();
  BOOST_TEST(running.attempts("svc.Late") == 1);  // the local policy, after the bounded wait
  BOOST_TEST((std::chrono::steady_clock::now() - started < 1500ms));
  BOOST_TEST(running.attempts("svc.Late") == 1);  // its later calls do not wait again
  const std::uint64_t before = running.generation();
  const std::size_t events = running.events->size();
  plane.release();
  BOOST_REQUIRE(running.events->wait_for(events, accepted));
  BOOST_TEST(running.generation() == before + 1);
  BOOST_TEST(running.attempts("svc.Late") == 4);
  BOOST_TEST(plane.requests_for("svc.Late") == 1);
}

BOOST_AUTO_TEST_CASE(answers_are_fetched_again_after_their_ttl_and_a_change_is_a_new_generation) {
  KeyPlane plane;
  plane.set("svc.A", {200, attempts(3), "\"a1\""});
  KeyPlaneServer server(plane);
  Running running(config(server.base(), "first_wait = \"10s\"\nfound_ttl = \"20ms\"\nmissing_ttl = \"20ms\""));
  BOOST_TEST(running.attempts("svc.A") == 3);
  BOOST_TEST(running.attempts("svc.B") == 1);  // a 404
  const std::uint64_t generation = running.generation();
  // Unchanged answers are 304s and 404s again: no new generation.
  BOOST_REQUIRE(eventually([&] { return plane.not_modified_for("svc.A") >= 3 && plane.requests_for("svc.B") >= 3; }));
  BOOST_TEST(eventually([&] { return running.status().unchanged >= 3u; }));  // counted after the server's
  BOOST_TEST(running.generation() == generation);

  std::size_t events = running.events->size();
  plane.set("svc.A", {200, attempts(5), "\"a2\""});
  BOOST_REQUIRE(running.events->wait_for(events, accepted));
  BOOST_TEST(running.attempts("svc.A") == 5);

  // svc.B is not compiled in the generation that svc.A's change made: its answer is taken when
  // it is, with no generation of its own — or by one, if a call compiled it first. Either way:
  plane.set("svc.B", {200, attempts(6), "\"b1\""});
  BOOST_REQUIRE(eventually([&] { return running.attempts("svc.B") == 6; }));
  BOOST_TEST((running.source("svc.B") == recourse::PolicySource::remote));

  // Gone again (compiled in the running generation now): a new generation, the local layers.
  events = running.events->size();
  {
    const std::lock_guard lock(plane.mutex);
    plane.answers.erase("svc.B");
  }
  BOOST_REQUIRE(running.events->wait_for(events, accepted));
  BOOST_TEST(running.attempts("svc.B") == 1);
}

BOOST_AUTO_TEST_CASE(failures_and_bad_bodies_keep_a_keys_last_good_answer_and_say_why) {
  KeyPlane plane;
  plane.set("svc.A", {200, attempts(3), "\"a1\""});
  KeyPlaneServer server(plane);
  const std::string text = config(server.base(), "first_wait = \"10s\"\nfound_ttl = \"20ms\"\nmissing_ttl = \"20ms\"");
  Running running(text);
  BOOST_REQUIRE(running.attempts("svc.A") == 3);
  std::uint64_t generation = running.generation();
  const std::string url = server.base() + "/svc.A";
  const auto expect_refused = [&](Answer answer, const std::string& fragment) {
    const std::size_t before = running.events->size();
    plane.set("svc.A", std::move(answer));
    const auto event = running.events->wait_for_error(before, fragment);
    BOOST_TEST(event.has_value(), "no refusal naming \"" << fragment << "\"");
    BOOST_TEST(running.generation() == generation);
    BOOST_TEST(running.attempts("svc.A") == 3);  // the last good answer still serves
    // …and is still the one kept: a new generation compiles the key again from it.
    BOOST_REQUIRE(running.runtime->apply(text, "rt.toml").accepted);
    generation = running.generation();
    BOOST_TEST(running.attempts("svc.A") == 3);
  };
  expect_refused({503, "busy", ""}, "provider_error http_503");
  expect_refused({200, "retry.max_attempts = \"many\"\n", "\"x1\""},
                 "provider_error invalid_document: " + url + ":1:22: policies.\"svc.A\".retry.max_attempts");
  expect_refused({200, "<html><body>Proxy login</body></html>", "\"x2\""},
                 "provider_error invalid_document: " + url + ":1:1:");
  expect_refused({200, "", "\"x3\""}, "an empty policy entry");
  expect_refused({200, "[classifiers.c]\nplugin = \"http\"\n", "\"x4\""}, "unknown field \"classifiers\"");
  BOOST_TEST(running.status().failures >= 1u);
  BOOST_TEST(running.status().refused >= 4u);

  const std::size_t before = running.events->size();
  plane.set("svc.A", {200, attempts(7), "\"a2\""});
  BOOST_REQUIRE(running.events->wait_for(before, accepted));
  BOOST_TEST(running.attempts("svc.A") == 7);
}

BOOST_AUTO_TEST_CASE(keys_past_max_keys_are_not_fetched) {
  KeyPlane plane;
  KeyPlaneServer server(plane);
  Running running(config(server.base(), "first_wait = \"10s\"\nmax_keys = 2"));
  for (const char* key : {"svc.One", "svc.Two", "svc.Three"}) BOOST_TEST(running.attempts(key) == 1);
  BOOST_TEST(plane.requests_for("svc.One") == 1);
  BOOST_TEST(plane.requests_for("svc.Two") == 1);
  BOOST_TEST(plane.requests_for("svc.Three") == 0);
}

BOOST_AUTO_TEST_CASE(a_key_is_one_url_path_segment) {
  KeyPlane plane;
  plane.set("team a/svc.Get", {200, attempts(2), ""});
  KeyPlaneServer server(plane);
  Running running(config(server.base(), "first_wait = \"10s\""));
  BOOST_TEST(running.attempts("team a/svc.Get") == 2);
  const std::lock_guard lock(plane.mutex);
  BOOST_TEST(plane.targets.back() == "/keys/team%20a%2Fsvc.Get");
}

BOOST_AUTO_TEST_CASE(a_reload_that_remakes_the_feed_for_the_same_base_url_keeps_the_answers) {
  KeyPlane plane;
  plane.set("svc.A", {200, attempts(3), "\"a1\""});
  KeyPlaneServer server(plane);
  Running running(config(server.base(), "first_wait = \"10s\"\nmissing_ttl = \"20ms\""));
  BOOST_REQUIRE(running.attempts("svc.A") == 3);
  const recourse::PolicyFeed* before = running.runtime->running()->feed;
  plane.set("svc.A", {503, "down", ""});  // the control plane goes down
  // Another fetcher count remakes the feed: the key keeps its answer, and the new feed follows it.
  const auto result = running.runtime->apply(
      config(server.base(), "first_wait = \"10s\"\nmissing_ttl = \"20ms\"\nfetchers = 3"), "rt.toml");
  BOOST_REQUIRE(result.accepted);
  BOOST_TEST(running.runtime->running()->feed != before);
  const int requests = plane.requests_for("svc.A");
  BOOST_TEST(running.attempts("svc.A") == 3);
  BOOST_TEST(eventually([&] { return plane.requests_for("svc.A") > requests; }));
  // Another base_url is another control plane: nothing carried.
  BOOST_REQUIRE(
      running.runtime->apply(config(server.base() + "/elsewhere", "first_wait = \"10s\""), "rt.toml").accepted);
  BOOST_TEST(running.attempts("svc.A") == 1);
}

BOOST_AUTO_TEST_CASE(the_mode_is_one_or_the_other) {
  const std::string both = feed_test::refusal(config("http://127.0.0.1:1/keys", "url = \"http://127.0.0.1:1/p.toml\""));
  BOOST_TEST(both.find("give either url (one document) or base_url") != std::string::npos, both);
  const std::string saved = feed_test::refusal(config("http://127.0.0.1:1/keys", "cache_file = \"x.toml\""));
  BOOST_TEST(saved.find("the per-key mode (base_url) keeps no saved copy") != std::string::npos, saved);
  const std::string scheme = feed_test::refusal(config("ftp://127.0.0.1/keys"));
  BOOST_TEST(scheme.find("provider.base_url") != std::string::npos, scheme);
}

BOOST_AUTO_TEST_SUITE_END()
