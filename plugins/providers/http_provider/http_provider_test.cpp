// The `http` policy provider against a real HTTP server (cpp-httplib, in this process, on a
// free loopback port) and raw sockets for what no well-behaved server does (a reset, garbage):
// documents become generations, an unchanged one is a 304, every failure keeps the running
// generation and says why, the saved copy starts a process whose control plane is down.
#include <boost/test/unit_test.hpp>

#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <expected>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

import recourse.host.runtime;

#include "feed_test_helpers.hpp"
#include "loopback.hpp"
#include "loopback_http_server.hpp"

namespace fs = std::filesystem;
using feed_test::accepted;
using feed_test::Running;
using namespace std::chrono_literals;

namespace {

// What the control plane answers, set by each test.
struct ControlPlane {
  std::mutex mutex;
  std::condition_variable released;
  int status = 200;
  std::string body;
  std::string etag;
  std::string required_token;  // non-empty: 401 without "Bearer <token>"
  bool stall = false;          // hold the request until the test ends
  bool chunked_huge = false;   // stream 50 MiB without a Content-Length
  bool ending = false;
  int requests = 0;
  int not_modified = 0;
  std::vector<std::string> if_none_match;

  void serve(std::string document, std::string version) {
    const std::lock_guard lock(mutex);
    status = 200;
    body = std::move(document);
    etag = std::move(version);
    stall = chunked_huge = false;
  }
  int request_count() {
    const std::lock_guard lock(mutex);
    return requests;
  }
};

class ControlPlaneServer {
 public:
  explicit ControlPlaneServer(ControlPlane& plane) : plane_(plane) {
    http_.server().Get("/policies.toml", [this](const httplib::Request& request, httplib::Response& response) {
      std::unique_lock lock(plane_.mutex);
      ++plane_.requests;
      const std::string if_none_match = request.get_header_value("If-None-Match");
      plane_.if_none_match.push_back(if_none_match);
      if (plane_.stall) {
        plane_.released.wait(lock, [&] { return plane_.ending; });
        return;
      }
      if (!plane_.required_token.empty() &&
          request.get_header_value("Authorization") != "Bearer " + plane_.required_token) {
        response.status = 401;
        return;
      }
      if (plane_.chunked_huge) {
        response.set_chunked_content_provider("text/plain", [](std::size_t offset, httplib::DataSink& sink) {
          if (offset >= (50u << 20)) {
            sink.done();
            return true;
          }
          const std::string chunk(1 << 20, '#');
          return sink.write(chunk.data(), chunk.size());
        });
        return;
      }
      if (plane_.status == 200 && !plane_.etag.empty() && if_none_match == plane_.etag) {
        ++plane_.not_modified;
        response.status = 304;
        return;
      }
      response.status = plane_.status;
      if (!plane_.etag.empty()) response.set_header("ETag", plane_.etag);
      response.set_content(plane_.body, "application/toml");
    });
    http_.start();
  }
  ~ControlPlaneServer() {
    {
      const std::lock_guard lock(plane_.mutex);
      plane_.ending = true;
    }
    plane_.released.notify_all();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_.port()) + "/policies.toml"; }

 private:
  ControlPlane& plane_;
  LoopbackHttpServer http_;  // last: stopped before the plane it answers from
};

// A loopback listener that misbehaves: every connection is read, then closed at once (a
// reset: no response at all) or answered with bytes that are not HTTP.
class RawServer {
 public:
  explicit RawServer(std::string answer)
      : answer_(std::move(answer)), fd_(loopback::bound_socket(16)), port_(loopback::port_of(fd_)) {
    thread_ = std::thread([this] {
      while (true) {
        const int client = ::accept(fd_, nullptr, nullptr);
        if (client < 0) return;
        char buffer[4096];
        (void)::recv(client, buffer, sizeof buffer, 0);
        if (!answer_.empty()) (void)::send(client, answer_.data(), answer_.size(), MSG_NOSIGNAL);
        ::close(client);
      }
    });
  }
  ~RawServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/policies.toml"; }

 private:
  std::string answer_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "recourse-http-provider-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

std::string document(int attempts, std::string_view pattern = "svc.*") {
  return "[policies.\"" + std::string(pattern) + "\"]\nretry.max_attempts = " + std::to_string(attempts) +
         "\nretry.initial_backoff = \"0s\"\nretry.jitter = \"none\"\n";
}

// A config with the http provider. The control plane's own key retries twice, without waiting.
std::string config(const std::string& url, const std::string& extra = "", std::string_view timeout = "300ms") {
  return std::string("[plugins]\npaths = [\"") + RECOURSE_PLUGIN_DIR +
         "\"]\n"
         "[provider]\nplugin = \"http\"\nurl = \"" +
         url + "\"\ninterval = \"20ms\"\njitter = 0.0\ntimeout = \"" + std::string(timeout) +
         "\"\nconnect_timeout = \"200ms\"\n" + extra +
         "\n[policies.\"recourse.control_plane\"]\nretry.max_attempts = 2\nretry.initial_backoff = \"1ms\"\n"
         "retry.jitter = \"none\"\n"
         "[defaults]\nretry.max_attempts = 1\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_provider)

BOOST_AUTO_TEST_CASE(documents_become_generations_and_an_unchanged_one_is_a_304) {
  ControlPlane plane;
  plane.serve(document(3), "\"v1\"");
  ControlPlaneServer server(plane);
  Running running(config(server.url()));
  // Loading waited for the first document (initial_wait): it is in force when load returns.
  BOOST_TEST(running.runtime->executor->generation() == 2u);
  BOOST_TEST(running.attempts("svc.Get") == 3);
  BOOST_TEST((running.source("svc.Get") == recourse::PolicySource::remote));

  // Polls with the ETag get 304s and change nothing.
  for (int i = 0; i < 200 && running.status().unchanged < 3; ++i) std::this_thread::sleep_for(10ms);
  BOOST_TEST(running.status().unchanged >= 3u);
  BOOST_TEST(running.status().version == "\"v1\"");
  BOOST_TEST(running.runtime->executor->generation() == 2u);
  {
    const std::lock_guard lock(plane.mutex);
    BOOST_TEST(plane.if_none_match.back() == "\"v1\"");
  }

  const std::size_t before = running.events->size();
  plane.serve(document(5), "\"v2\"");
  BOOST_REQUIRE(running.events->wait_for(before, accepted));
  BOOST_TEST(running.attempts("svc.Get") == 5);
  BOOST_TEST(running.status().version == "\"v2\"");
  BOOST_TEST(running.status().last_error.empty());
}

BOOST_AUTO_TEST_CASE(every_failure_keeps_the_running_generation_and_says_why) {
  ControlPlane plane;
  plane.serve(document(3), "\"v1\"");
  ControlPlaneServer server(plane);
  Running running(config(server.url()));
  BOOST_REQUIRE(running.attempts("svc.Get") == 3);
  const std::uint64_t generation = running.runtime->executor->generation();

  const auto expect_refused = [&](const std::function<void()>& misbehave, std::string_view fragment) {
    const std::size_t before = running.events->size();
    misbehave();
    const auto event = running.events->wait_for_error(before, fragment);
    BOOST_TEST(event.has_value(), "no refusal naming \"" << fragment << "\"");
    BOOST_TEST(running.runtime->executor->generation() == generation);
    BOOST_TEST(running.attempts("svc.Get") == 3);  // the last good document still serves
  };
  const auto answer = [&](int status, std::string body) {
    return [&plane, status, body = std::move(body)] {
      const std::lock_guard lock(plane.mutex);
      plane.status = status;
      plane.body = body;
      plane.etag = "\"bad\"";
    };
  };
  // A server error: retried through recourse (the control plane's key: 2 attempts), then reported.
  const int requests_before = plane.request_count();
  expect_refused(answer(503, "busy"), "provider_error http_503");
  BOOST_TEST(plane.request_count() - requests_before >= 2);
  expect_refused(answer(200, "<html><body>Proxy login</body></html>"),
                 "provider_error invalid_document: " + server.url() + ":1:1:");
  expect_refused(answer(200, ""), "an empty policy document");
  expect_refused(answer(200, "[budgets.b]\nplugin = \"token_bucket\"\ncapacity = 1\nrefill_per_second = 1\n"),
                 "holds [defaults] and [policies");
  expect_refused(answer(200, "[policies.\"svc.*\"]\nretry.max_attempts = \"many\"\n"),
                 "policies.toml:2:22: policies.\"svc.*\".retry.max_attempts");
  expect_refused(
      [&] {
        const std::lock_guard lock(plane.mutex);
        plane.stall = true;
      },
      "provider_error timeout");
  {
    const std::lock_guard lock(plane.mutex);
    plane.stall = false;
  }
  expect_refused(answer(200, std::string(5u << 20, 'x')), "provider_error too_large");
  expect_refused(
      [&] {
        const std::lock_guard lock(plane.mutex);
        plane.chunked_huge = true;
      },
      "provider_error too_large");
  BOOST_TEST(running.status().failures >= 4u);
  BOOST_TEST(running.status().refused >= 4u);
  BOOST_TEST(!running.status().last_error.empty());
}

BOOST_AUTO_TEST_CASE(a_reset_or_garbage_from_the_server_is_a_transport_error) {
  for (const auto& [answer, reason] : {std::pair<std::string, std::string>{"", "connection_reset"},
                                       std::pair<std::string, std::string>{"SSH-2.0-OpenSSH\r\n", "transport_error"}}) {
    RawServer raw(answer);
    Running running(config(raw.url(), "initial_wait = \"0s\""));
    const auto event = running.events->wait_for_error(0, "provider_error " + reason);
    BOOST_TEST(event.has_value(), "no " << reason);
    BOOST_TEST(running.runtime->executor->generation() == 1u);  // the file's own policies
    BOOST_TEST(running.attempts("svc.Get") == 1);
  }
}

BOOST_AUTO_TEST_CASE(a_process_started_while_the_control_plane_is_down_starts_from_the_saved_copy) {
  TempDir dir;
  const std::string cache = "cache_file = \"" + (dir.path / "saved.toml").string() + "\"";
  std::string url;
  {
    ControlPlane plane;
    plane.serve(document(4), "\"v7\"");
    ControlPlaneServer server(plane);
    url = server.url();
    Running running(config(url, cache));
    BOOST_REQUIRE(running.attempts("svc.Get") == 4);
  }
  std::ifstream saved(dir.path / "saved.toml");
  std::stringstream text;
  text << saved.rdbuf();
  BOOST_TEST(text.str().find("retry.max_attempts = 4") != std::string::npos, text.str());
  BOOST_TEST(text.str().find("\"v7\"") != std::string::npos);
  for (const auto& entry : fs::directory_iterator(dir.path))  // no temporary file left behind
    BOOST_TEST(entry.path().filename() == "saved.toml");

  // The control plane is gone (nothing listens on its port): the saved copy serves, marked so.
  Running restarted(config(url, cache));
  BOOST_TEST(restarted.attempts("svc.Get") == 4);
  BOOST_TEST((restarted.source("svc.Get") == recourse::PolicySource::last_known_good));
  BOOST_TEST(restarted.events->wait_for_error(0, "provider_error connect_failed").has_value());
  BOOST_TEST(restarted.runtime->executor->generation() == 1u);
}

BOOST_AUTO_TEST_CASE(the_bearer_token_comes_from_the_environment_or_a_file) {
  TempDir dir;
  ControlPlane plane;
  plane.serve(document(2), "\"t\"");
  plane.required_token = "s3cret";
  ControlPlaneServer server(plane);

  // The environment is changed only while no feed runs: a feed's thread reads it (getenv) at
  // every poll, and setenv beside a getenv is a data race.
  ::setenv("RECOURSE_TEST_CP_TOKEN", "s3cret", 1);
  {
    Running from_env(config(server.url(), "token_env = \"RECOURSE_TEST_CP_TOKEN\""));
    BOOST_TEST(from_env.attempts("svc.Get") == 2);
  }

  std::ofstream(dir.path / "token") << "s3cret\n";
  Running from_file(config(server.url(), "token_file = \"" + (dir.path / "token").string() + "\""));
  BOOST_TEST(from_file.attempts("svc.Get") == 2);

  ::setenv("RECOURSE_TEST_CP_TOKEN", "wrong", 1);
  {
    Running refused(config(server.url(), "token_env = \"RECOURSE_TEST_CP_TOKEN\"\ninitial_wait = \"0s\""));
    BOOST_TEST(refused.events->wait_for_error(0, "provider_error http_401").has_value());
    BOOST_TEST(refused.attempts("svc.Get") == 1);
  }
  ::unsetenv("RECOURSE_TEST_CP_TOKEN");
}

BOOST_AUTO_TEST_CASE(a_document_of_100000_keys_is_taken) {
  std::string big;
  for (int i = 0; i < 100'000; ++i) big += "[policies.\"svc.K" + std::to_string(i) + "\"]\nretry.max_attempts = 2\n";
  ControlPlane plane;
  plane.serve(big, "\"big\"");
  ControlPlaneServer server(plane);
  Running running(config(server.url(), "max_document_bytes = 16777216\ninitial_wait = \"0s\"", "20s"));
  // The first generation (the file's) is told to observers too: wait for the document's.
  BOOST_REQUIRE(
      running.events->wait_for(0, [](const recourse::ConfigEvent& e) { return e.accepted && e.generation == 2; }));
  BOOST_TEST(running.attempts("svc.K99999") == 2);
  // A key the document does not name: the document replaced the file's policies ([defaults]
  // included), so the file's missing_policy decides — deny, by default.
  BOOST_TEST(running.attempts("svc.Other") == 0);
}

BOOST_AUTO_TEST_CASE(a_reload_that_changes_the_provider_stops_the_old_feed_while_calls_run) {
  ControlPlane first_plane;
  first_plane.serve(document(2), "\"a\"");
  ControlPlaneServer first(first_plane);
  ControlPlane second_plane;
  second_plane.serve(document(6), "\"b\"");
  ControlPlaneServer second(second_plane);
  Running running(config(first.url()));
  BOOST_REQUIRE(running.attempts("svc.Get") == 2);

  std::atomic<bool> stop{false};
  std::thread caller([&] {
    while (!stop.load()) running.call("svc.Get");
  });
  for (int round = 0; round < 4; ++round) {
    const auto& url = round % 2 == 0 ? second.url() : first.url();
    auto result = running.runtime->apply(config(url), "rt.toml");
    BOOST_TEST(result.accepted);
    BOOST_TEST(running.attempts("svc.Get") == (round % 2 == 0 ? 6 : 2));
    BOOST_TEST(running.status().target == url);
  }
  stop = true;
  caller.join();
  // The feed in force is the last one; the others were stopped (their servers see no new polls).
  const int first_requests = first_plane.request_count();
  const std::size_t before = running.events->size();
  second_plane.serve(document(7), "\"c\"");
  first_plane.serve(document(8), "\"d\"");
  BOOST_REQUIRE(running.events->wait_for(before, accepted));
  BOOST_TEST(running.attempts("svc.Get") == 8);
  BOOST_TEST(first_plane.request_count() > first_requests);
}

// A document cannot break its own delivery: its [defaults] and namespaces reach every key but
// the control plane's, whose policy is the local entry over the built-in one, whole.
BOOST_AUTO_TEST_CASE(a_documents_defaults_do_not_reach_the_control_planes_own_key) {
  ControlPlane plane;
  plane.serve(document(3) +
                  "[defaults]\ncircuit.enabled = true\ncircuit.threshold = 1\nretry.max_attempts = 7\n"
                  "[policies.\"recourse.*\"]\nretry.per_attempt_timeout = \"1ms\"\n",
              "\"v1\"");
  ControlPlaneServer server(plane);
  Running running(config(server.url()));
  BOOST_REQUIRE(running.runtime->executor->generation() == 2u);
  BOOST_TEST(running.attempts("other.Key") == 7);  // the document's defaults are in force...
  // ...but not for the control plane's key: the local entry's 2 attempts, and no breaker (with
  // the document's threshold of 1, the second failed call would be refused with 0 attempts).
  BOOST_TEST(running.attempts("recourse.control_plane") == 2);
  BOOST_TEST(running.attempts("recourse.control_plane") == 2);
  // The feed still fetches: a new document is taken (a 1 ms per-attempt timeout would fail it).
  const std::size_t before = running.events->size();
  plane.serve(document(5), "\"v2\"");
  BOOST_REQUIRE(running.events->wait_for(before, accepted));
  BOOST_TEST(running.attempts("svc.Get") == 5);
}

// The prometheus observer publishes the feed's state (PluginContext::feeds): which feed and
// document, how stale it is, what its fetches did — scraped over HTTP like Prometheus would.
BOOST_AUTO_TEST_CASE(the_metrics_show_the_feeds_staleness_and_fetches) {
  ControlPlane plane;
  plane.serve(document(3), "\"v1\"");
  ControlPlaneServer server(plane);
  const int port = loopback::free_port();
  Running running(config(server.url()) + "[observers.metrics]\nplugin = \"prometheus\"\nlisten = \"127.0.0.1:" +
                  std::to_string(port) + "\"\n");
  const auto scrape = [&] {
    httplib::Client client("127.0.0.1", port);
    auto response = client.Get("/metrics");
    BOOST_REQUIRE(response);
    return response->body;
  };
  // The value of the first sample line starting with `prefix`.
  const auto value = [](const std::string& text, const std::string& prefix) -> std::optional<double> {
    const std::size_t at = text.find("\n" + prefix);
    if (at == std::string::npos) return std::nullopt;
    const std::size_t end = text.find('\n', at + 1);
    const std::string line = text.substr(at + 1, end - at - 1);
    const std::string number = line.substr(line.rfind(' ') + 1);
    return number == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(number);
  };
  const std::string labels = "{provider=\"http\",target=\"" + server.url() + "\"";
  std::string text = scrape();
  BOOST_TEST(value(text, "recourse_policy_feed_info" + labels + ",version=\"\\\"v1\\\"\"}").value_or(0) == 1.0, text);
  const auto fresh = value(text, "recourse_policy_feed_staleness_seconds" + labels + "}");
  BOOST_REQUIRE(fresh.has_value());
  BOOST_TEST(*fresh >= 0.0);
  BOOST_TEST(*fresh < 30.0);
  const auto last_good = value(text, "recourse_policy_feed_last_good_timestamp_seconds" + labels + "}");
  BOOST_REQUIRE(last_good.has_value());
  BOOST_TEST(value(text, "recourse_policy_feed_fetches_total" + labels + ",result=\"requested\"}").value_or(0) >= 1.0);

  // The control plane fails: the failures are counted and the last good fetch stops moving.
  {
    const std::lock_guard lock(plane.mutex);
    plane.status = 503;
  }
  const std::size_t before = running.events->size();
  BOOST_REQUIRE(running.events->wait_for_error(before, "provider_error http_503"));
  // From here every poll fails: the last good fetch stays where it is, and staleness grows.
  const auto stale_at = running.status().last_good;
  BOOST_REQUIRE(stale_at.has_value());
  const double stale_at_seconds = std::chrono::duration<double>(stale_at->time_since_epoch()).count();
  text = scrape();
  BOOST_TEST(value(text, "recourse_policy_feed_fetches_total" + labels + ",result=\"failed\"}").value_or(0) >= 1.0,
             text);
  const auto stale = value(text, "recourse_policy_feed_staleness_seconds" + labels + "}");
  BOOST_REQUIRE(stale.has_value());
  BOOST_TEST(value(text, "recourse_policy_feed_last_good_timestamp_seconds" + labels + "}").value_or(0) ==
             stale_at_seconds);
  const std::size_t failed = running.events->size();
  BOOST_REQUIRE(running.events->wait_for_error(failed, "provider_error http_503"));  // another poll, failed
  text = scrape();
  const auto staler = value(text, "recourse_policy_feed_staleness_seconds" + labels + "}");
  BOOST_REQUIRE(staler.has_value());
  BOOST_TEST(*staler > *stale);
  BOOST_TEST(value(text, "recourse_policy_feed_last_good_timestamp_seconds" + labels + "}").value_or(0) ==
             stale_at_seconds);
  BOOST_TEST((running.status().last_good == stale_at));
}

BOOST_AUTO_TEST_SUITE_END()
