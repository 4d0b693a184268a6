// recourse.plugins.redis_budget — the redis_budget plugin's own module (not installed, not for
// users): what its two backends, redis_token_bucket and redis_ratio, share — the [budgets.x]
// fields that say where Redis is and what to do without it, read by one function — and the
// factories the descriptor (redis_budget_plugin.cpp) lists.
module;
#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "script_client.hpp"

export module recourse.plugins.redis_budget;

export import recourse.support.config;

export namespace recourse::plugins::redis_budget {

namespace reason {
// A decision made without Redis (down, too slow, or answering errors): on_unavailable decided
// it, from the local budget or by allowing or denying outright; `allowed` says which.
inline constexpr std::string_view budget_redis_unavailable = "budget_redis_unavailable";
}  // namespace reason

enum class OnUnavailable { local, allow, deny };

// The fields both backends have beside their own.
struct FleetSettings {
  ClientSettings client;
  std::string key;  // the Redis key of the shared state
  OnUnavailable on_unavailable = OnUnavailable::local;
  int fleet_size = 1;
  int batch = 1;  // decisions reserved per round trip
  std::chrono::nanoseconds batch_ttl = std::chrono::seconds(1);
};

inline constexpr std::string_view fleet_fields[]{"plugin",
                                                 "url",
                                                 "host",
                                                 "port",
                                                 "key",
                                                 "timeout",
                                                 "connections",
                                                 "reconnect_backoff",
                                                 "reconnect_backoff_max",
                                                 "on_unavailable",
                                                 "fleet_size",
                                                 "batch",
                                                 "batch_ttl"};

// Reads the shared fields from `in` (whose known list must include fleet_fields); errors stay
// in `in`. The default key is "recourse:budget:<plugin>:<instance name>": every process that
// names the budget alike shares it, and the two backends never read each other's state.
FleetSettings read_fleet_settings(support::ConfigReader& in, std::string_view plugin, std::string_view instance);

// Where a grant came from, kept in its token, so release() gives an unused one back to the
// right place: the token bucket's token is this value, the ratio's puts it in the top byte.
enum GrantSource : std::uint64_t { shared = 1, local = 2, allowed_blind = 3 };

// A backend's client: lazy (no connection before the first decision, so a budget a reload
// replaces with one that takes over its client never connects), its reconnect backoff on the
// host clock, its warnings to the host's logger.
std::shared_ptr<ScriptClient> make_script_client(const FleetSettings& fleet, std::string_view script,
                                                 const ComponentContext& context);

// A number as a script argument, exactly: std::to_string keeps 6 decimals, and a refill of
// 1e-7 tokens per second would be 0.
std::string script_number(double value);

// A field of a script's reply (decimal text) as a number; 0 when it is not one.
template <class T>
T reply_number(const std::string& text) {
  T value{};
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// "redis://host[:port][/db]" into an endpoint; an error message when it is not one.
std::string parse_redis_url(std::string_view url, RedisEndpoint& endpoint);

Budget* make_token_bucket(const ComponentContext& context);
Budget* make_ratio(const ComponentContext& context);

}  // namespace recourse::plugins::redis_budget
