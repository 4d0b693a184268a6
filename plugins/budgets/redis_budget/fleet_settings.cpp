// The fields every Redis-shared budget has: where Redis is (url, or host and port), the key,
// the bounds on a call (timeout, connections) and on reconnecting, what to decide without
// Redis (on_unavailable, with fleet_size for the local budget) and batching.
module;
#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "script_client.hpp"

module recourse.plugins.redis_budget;

namespace recourse::plugins::redis_budget {
namespace {

using namespace std::chrono_literals;

std::optional<int> number_in(std::string_view text, int min, int max) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) return std::nullopt;
  return value;
}

}  // namespace

std::string parse_redis_url(std::string_view url, RedisEndpoint& endpoint) {
  constexpr std::string_view scheme = "redis://";
  if (!url.starts_with(scheme)) return "expected redis://host[:port][/db], got \"" + std::string(url) + "\"";
  std::string_view rest = url.substr(scheme.size());
  if (rest.find('@') != std::string_view::npos)
    return "credentials in the url are not supported (\"" + std::string(url) + "\")";
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) {
      const auto n = number_in(db, 0, 1'000'000);
      if (!n) return "the database in \"" + std::string(url) + "\" is not a number";
      endpoint.db = *n;
    }
  }
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    const auto port = number_in(rest.substr(colon + 1), 1, 65535);
    if (!port) return "the port in \"" + std::string(url) + "\" is not a number from 1 to 65535";
    endpoint.port = *port;
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return "no host in \"" + std::string(url) + "\"";
  endpoint.host = std::string(rest);
  return {};
}

FleetSettings read_fleet_settings(support::ConfigReader& in, std::string_view plugin, std::string_view instance) {
  FleetSettings s;
  const auto url = in.string("url");
  const auto host = in.string("host");
  const auto port = in.integer("port", 1, 65535);
  if (url && (host || port)) in.fail("url", "give either url or host and port, not both");
  if (url) {
    if (std::string error = parse_redis_url(*url, s.client.endpoint); !error.empty()) in.fail("url", error);
  }
  if (host) {
    if (host->empty()) in.fail("host", "must not be empty");
    s.client.endpoint.host = *host;
  }
  if (port) s.client.endpoint.port = static_cast<int>(*port);

  s.key = in.string("key").value_or("recourse:budget:" + std::string(plugin) + ":" + std::string(instance));
  if (s.key.empty()) in.fail("key", "must not be empty");

  if (auto timeout = in.duration("timeout")) {
    if (*timeout < 100us || *timeout > 10s) in.fail("timeout", "must be from 100us to 10s");
    else s.client.timeout = std::chrono::duration_cast<std::chrono::microseconds>(*timeout);
  }
  if (auto connections = in.integer("connections", 1, 64)) s.client.connections = static_cast<int>(*connections);
  if (auto initial = in.duration("reconnect_backoff")) {
    if (*initial < 1ms || *initial > 1h) in.fail("reconnect_backoff", "must be from 1ms to 1h");
    else s.client.reconnect_initial = std::chrono::duration_cast<std::chrono::milliseconds>(*initial);
  }
  if (auto cap = in.duration("reconnect_backoff_max")) {
    if (*cap < s.client.reconnect_initial || *cap > 1h)
      in.fail("reconnect_backoff_max",
              "must be from reconnect_backoff (" + std::to_string(s.client.reconnect_initial.count()) + "ms) to 1h");
    else s.client.reconnect_max = std::chrono::duration_cast<std::chrono::milliseconds>(*cap);
  }
  s.client.reconnect_max = std::max(s.client.reconnect_max, s.client.reconnect_initial);

  if (auto mode = in.string("on_unavailable")) {
    if (*mode == "local") s.on_unavailable = OnUnavailable::local;
    else if (*mode == "allow") s.on_unavailable = OnUnavailable::allow;
    else if (*mode == "deny") s.on_unavailable = OnUnavailable::deny;
    else in.fail("on_unavailable", "unknown mode \"" + *mode + "\"; known: local, allow, deny");
  }
  // The local budget is the fleet's divided among its processes: how many there are cannot be
  // guessed, and guessing 1 would give every process the whole budget while Redis is down.
  const auto fleet = in.integer(
      "fleet_size", 1, 1'000'000,
      s.on_unavailable == OnUnavailable::local
          ? std::optional(support::required("processes sharing the budget; on_unavailable = \"local\" gives each "
                                            "capacity / fleet_size while Redis is down"))
          : std::nullopt);
  if (fleet) s.fleet_size = static_cast<int>(*fleet);
  if (auto batch = in.integer("batch", 1, 1000)) s.batch = static_cast<int>(*batch);
  if (auto ttl = in.duration("batch_ttl")) {
    if (*ttl < 1ms || *ttl > 1h) in.fail("batch_ttl", "must be from 1ms to 1h");
    else s.batch_ttl = *ttl;
  }
  return s;
}

}  // namespace recourse::plugins::redis_budget
