// The prometheus observer through a real runtime: a known workload, then a scrape over HTTP
// (cpp-httplib's client) checked sample by sample and against the exposition format's rules;
// the observer added, replaced on the same port and removed by reloads (the port is free
// afterwards); bad settings refused with their location.
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

import recourse.runtime;

namespace {

// A TCP socket bound to 127.0.0.1:port (0: any free port), or -1; `reuse`: SO_REUSEADDR first,
// as a server restarting would.
int bound_socket(int port, bool reuse = false) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const int one = 1;
  if (reuse) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int port_of(int fd) {
  sockaddr_in address{};
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  return ntohs(address.sin_port);
}

// A port nothing listens on now (bound to 0, read back, closed).
int free_port() {
  const int fd = bound_socket(0);
  BOOST_REQUIRE(fd >= 0);
  const int port = port_of(fd);
  ::close(fd);
  return port;
}

bool port_is_free(int port) {
  const int fd = bound_socket(port, true);
  if (fd >= 0) ::close(fd);
  return fd >= 0;
}

std::optional<std::string> scrape(int port, const std::string& path = "/metrics") {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  auto response = client.Get(path.c_str());
  if (!response || response->status != 200) return std::nullopt;
  BOOST_TEST(response->get_header_value("Content-Type").find("text/plain; version=0.0.4") == 0u);
  return response->body;
}

// sample line without its value → value; and the exposition rules checked on the way.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::set<std::string> typed, families_seen;
  std::string current_family;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    BOOST_REQUIRE(!line.empty());
    if (line.starts_with("# TYPE ")) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      BOOST_TEST(typed.insert(name).second, "TYPE twice for " << name);
      current_family = name;
      continue;
    }
    if (line.starts_with("# HELP ")) continue;
    const std::size_t space = line.rfind(' ');
    const std::string series = line.substr(0, space);
    const std::string name = series.substr(0, series.find('{'));
    // Every sample of a family together, under its TYPE line (a histogram's _bucket/_sum/_count too).
    BOOST_TEST(name.starts_with(current_family), name << " outside its family " << current_family);
    BOOST_TEST(out.emplace(series, std::stod(line.substr(space + 1))).second, "duplicate series " << series);
  }
  return out;
}

// An observer that throws at every call's start: the executor contains and counts it.
struct ThrowingObserver : recourse::Observer {
  void on_start(const recourse::CallInfo&) override { throw std::runtime_error("observer bug"); }
};

struct Runtime {
  std::string dir = "/tmp/recourse-prometheus-" + std::to_string(::getpid());
  std::optional<recourse::Runtime> runtime;

  explicit Runtime(const std::string& toml, std::shared_ptr<recourse::Observer> extra = nullptr) {
    recourse::RuntimeOptions options;
    options.clock = std::make_shared<recourse::VirtualClock>();
    if (extra) options.observers.push_back(std::move(extra));
    auto loaded = recourse::Runtime::from_text(toml, "metrics.toml", options);
    BOOST_REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().message()));
    runtime.emplace(std::move(*loaded));
  }

  void succeed(std::string_view key, int times) {
    for (int i = 0; i < times; ++i)
      BOOST_REQUIRE(runtime->executor().try_run(key, [](const recourse::Attempt&) { return 1; }).has_value());
  }
  void fail(std::string_view key, int times) {
    for (int i = 0; i < times; ++i)
      (void)runtime->executor().try_run(
          key, [](const recourse::Attempt&) { return std::make_error_code(std::errc::connection_refused); });
  }
};

std::string plugins() {
  return "[plugins]\npaths = [\"" RECOURSE_PLUGIN_DIR "\"]\nload = [\"prometheus\", \"token_bucket\"]\n";
}

std::string exporter(int port, const std::string& extra = "") {
  return "[observers.metrics]\nplugin = \"prometheus\"\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"\n" + extra;
}

const std::string policies = R"(
[budgets.retries]
plugin = "token_bucket"
capacity = 2
refill_per_second = 0.001

[policies."shop.*"]
retry.max_attempts = 3
retry.initial_backoff = "1ms"
retry.classifier = "always"
retry.budget = { name = "retries" }

[policies."shop.Breaker"]
retry.max_attempts = 1
circuit = { enabled = true, kind = "consecutive", threshold = 2, cooldown = "10s" }
)";

}  // namespace

BOOST_AUTO_TEST_SUITE(prometheus_observer)

BOOST_AUTO_TEST_CASE(a_scrape_shows_the_workload_in_the_exposition_format) {
  const int port = free_port();
  Runtime r(plugins() + exporter(port, "buckets = [0.001, 0.1]\n") + policies, std::make_shared<ThrowingObserver>());
  r.succeed("shop.Get", 3);
  r.fail("shop.Pay", 1);      // 3 attempts: 2 retries granted by the budget
  r.fail("shop.Pay", 1);      // budget empty: 1 attempt, the retry denied
  r.fail("shop.Breaker", 3);  // two failures open the breaker; the third is refused

  const auto text = scrape(port);
  BOOST_REQUIRE(text.has_value());
  const auto s = samples(*text);
  const auto at = [&](const std::string& series) {
    const auto it = s.find(series);
    BOOST_REQUIRE_MESSAGE(it != s.end(), "no series " << series << " in\n" << *text);
    return it->second;
  };
  BOOST_TEST(at(R"(recourse_calls_total{key="shop.Get",outcome="success",reason="success"})") == 3);
  BOOST_TEST(at(R"(recourse_calls_total{key="shop.Pay",outcome="failure",reason="max_attempts"})") == 1);
  BOOST_TEST(at(R"(recourse_calls_total{key="shop.Pay",outcome="failure",reason="budget_denied"})") == 1);
  BOOST_TEST(at(R"(recourse_calls_total{key="shop.Breaker",outcome="failure",reason="circuit_open"})") == 1);
  BOOST_TEST(at(R"(recourse_attempts_total{key="shop.Get",reason="success"})") == 3);
  BOOST_TEST(at(R"(recourse_budget_decisions_total{budget="retries",decision="allowed"})") == 2);
  BOOST_TEST(at(R"(recourse_budget_decisions_total{budget="retries",decision="denied"})") == 1);
  BOOST_TEST(at(R"(recourse_circuit_transitions_total{key="shop.Breaker",from="closed",to="open"})") == 1);
  BOOST_TEST(at(R"(recourse_circuit_state{key="shop.Breaker",state="open"})") == 1);
  BOOST_TEST(at(R"(recourse_circuit_state{key="shop.Breaker",state="closed"})") == 0);
  BOOST_TEST(!s.contains(R"(recourse_circuit_state{key="shop.Get",state="closed"})"));  // no breaker
  // The histogram: cumulative buckets, +Inf equal to the count; virtual time, so every call
  // of shop.Get took 0 s and shop.Pay's first call slept its backoffs.
  BOOST_TEST(at(R"(recourse_call_duration_seconds_bucket{key="shop.Get",le="0.001"})") == 3);
  BOOST_TEST(at(R"(recourse_call_duration_seconds_bucket{key="shop.Get",le="+Inf"})") == 3);
  BOOST_TEST(at(R"(recourse_call_duration_seconds_count{key="shop.Get"})") == 3);
  BOOST_TEST(at(R"(recourse_call_duration_seconds_sum{key="shop.Get"})") == 0);
  BOOST_TEST(at(R"(recourse_call_duration_seconds_bucket{key="shop.Pay",le="0.1"})") ==
             at(R"(recourse_call_duration_seconds_count{key="shop.Pay"})"));
  BOOST_TEST(at(R"(recourse_call_duration_seconds_count{key="shop.Pay"})") == 2);
  BOOST_TEST(at(R"(recourse_config_generation)") == 1);
  BOOST_TEST(at("recourse_observer_errors_total") == 8);  // one per call: 3 + 2 + 3
  BOOST_TEST(at("recourse_over_limit_calls_total") == 0);
  BOOST_TEST(!scrape(port, "/other").has_value());
}

BOOST_AUTO_TEST_CASE(added_replaced_on_its_port_and_removed_by_reloads) {
  const int port = free_port();
  Runtime r(plugins() + policies);
  r.succeed("shop.Get", 2);  // before the exporter exists: not counted by it
  BOOST_TEST(!scrape(port).has_value());

  auto added = r.runtime->apply(plugins() + exporter(port) + policies, "with-exporter.toml");
  BOOST_REQUIRE_MESSAGE(added.accepted, (added.errors.empty() ? "" : recourse::to_string(added.errors.front())));
  r.succeed("shop.Get", 4);
  auto s = samples(*scrape(port));
  BOOST_TEST(s[R"(recourse_calls_total{key="shop.Get",outcome="success",reason="success"})"] == 4);
  BOOST_TEST(s["recourse_config_generation"] == 2);
  BOOST_TEST(s[R"(recourse_config_reloads_total{result="accepted"})"] == 1);

  // Same port, other settings: a new observer, serving at once (no "address in use").
  auto replaced = r.runtime->apply(plugins() + exporter(port, "buckets = [0.5]\n") + policies, "replaced.toml");
  BOOST_REQUIRE_MESSAGE(replaced.accepted,
                        (replaced.errors.empty() ? "" : recourse::to_string(replaced.errors.front())));
  r.succeed("shop.Get", 1);
  s = samples(*scrape(port));
  BOOST_TEST(s[R"(recourse_call_duration_seconds_bucket{key="shop.Get",le="0.5"})"] == 1);
  BOOST_TEST(!s.contains(R"(recourse_call_duration_seconds_bucket{key="shop.Get",le="0.005"})"));
  BOOST_TEST(s["recourse_config_generation"] == 3);

  // A refused reload is counted by the running exporter.
  const auto refused = r.runtime->apply("[policies.\"shop.*\"]\nretry.max_attempts = \"x\"\n", "bad.toml");
  BOOST_TEST(!refused.accepted);
  s = samples(*scrape(port));
  BOOST_TEST(s[R"(recourse_config_reloads_total{result="refused"})"] == 1);

  // Removed: once its generation's last call is over (none runs), it stops serving.
  auto removed = r.runtime->apply(plugins() + policies, "without.toml");
  BOOST_REQUIRE(removed.accepted);
  r.succeed("shop.Get", 1);  // a call's end reclaims the retired generations
  BOOST_TEST(!scrape(port).has_value());
  BOOST_TEST(port_is_free(port));
}

BOOST_AUTO_TEST_CASE(a_breaker_reset_by_a_reload_shows_closed) {
  const int port = free_port();
  Runtime r(plugins() + exporter(port) + policies);
  r.fail("shop.Breaker", 2);  // two failures: open
  auto s = samples(*scrape(port));
  BOOST_TEST(s[R"(recourse_circuit_state{key="shop.Breaker",state="open"})"] == 1);
  // Another kind of breaker: the key's breaker starts fresh, and no transition says so.
  std::string rate = policies;
  const std::string consecutive = R"(kind = "consecutive", threshold = 2)";
  rate.replace(rate.find(consecutive), consecutive.size(), R"(kind = "failure_rate")");
  const auto reset = r.runtime->apply(plugins() + exporter(port) + rate, "rate.toml");
  BOOST_REQUIRE(reset.accepted);
  BOOST_TEST(reset.breakers_reset == std::vector<std::string>{"shop.Breaker"});
  s = samples(*scrape(port));
  BOOST_TEST(s[R"(recourse_circuit_state{key="shop.Breaker",state="closed"})"] == 1);
  BOOST_TEST(s[R"(recourse_circuit_state{key="shop.Breaker",state="open"})"] == 0);
}

BOOST_AUTO_TEST_CASE(bad_settings_are_refused_with_their_place) {
  const auto refused = [](const std::string& table) {
    auto loaded =
        recourse::Runtime::from_text(plugins() + "[observers.metrics]\nplugin = \"prometheus\"\n" + table, "bad.toml");
    BOOST_REQUIRE(!loaded.has_value());
    return loaded.error().message();
  };
  BOOST_TEST(refused("listen = \"localhost\"\n").find("bad.toml:6:") != std::string::npos);
  BOOST_TEST(refused("listen = \"127.0.0.1:99999\"\n").find("port") != std::string::npos);
  BOOST_TEST(refused("path = \"metrics\"\n").find("must start with /") != std::string::npos);
  BOOST_TEST(refused("buckets = [0.5, 0.1]\n").find("increase") != std::string::npos);
  BOOST_TEST(refused("buckets = [0]\n").find("from 0.000001") != std::string::npos);
  BOOST_TEST(refused("buckets = [1e-10]\n").find("from 0.000001") != std::string::npos);
  BOOST_TEST(refused("path = \"/a[\"\n").find("only letters") != std::string::npos);
  BOOST_TEST(refused("bucket = [1]\n").find("bucket") != std::string::npos);  // unknown field

  // A port another process holds: refused, naming the address.
  const int fd = bound_socket(0);
  BOOST_REQUIRE(fd >= 0);
  ::listen(fd, 1);
  const std::string held = "127.0.0.1:" + std::to_string(port_of(fd));
  BOOST_TEST(refused("listen = \"" + held + "\"\n").find("cannot listen on " + held) != std::string::npos);
  ::close(fd);
}

BOOST_AUTO_TEST_SUITE_END()
