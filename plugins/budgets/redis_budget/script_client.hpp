// A bounded client that runs one Lua script on one Redis server: what the Redis-shared budgets
// (redis_budget.cpp) make each decision with. Every call ends within `timeout` of real time —
// waiting for a free connection, connecting, and the round trip all count — and reports a
// failure instead of waiting longer. A lost connection or a timeout marks the server down; while
// down, calls fail at once and a reconnect is tried at most once per backoff interval (on the
// host clock, growing to a cap), so a dead Redis costs no connect timeout per call.
//
//   ScriptClient client(settings, script_text, host_now, warn);
//   auto reply = client.run("recourse:budget:x", {"10", "1.5"});   // EVALSHA, NOSCRIPT recovered
//   if (!reply) /* reply.error().kind: down, busy, timeout, lost, error_reply */;
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;

namespace recourse::plugins::redis_budget {

using HostTime = std::chrono::steady_clock::time_point;  // recourse::TimePoint, the host clock's

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  friend bool operator==(const RedisEndpoint&, const RedisEndpoint&) = default;
  std::string to_string() const;  // redis://host:port/db
};

struct ClientSettings {
  RedisEndpoint endpoint;
  std::chrono::microseconds timeout{2000};  // the bound on one call, lock wait included
  int connections = 2;
  std::chrono::milliseconds reconnect_initial{100};
  std::chrono::milliseconds reconnect_max{5000};
};

struct ClientFailure {
  enum class Kind {
    down,         // marked down, the next reconnect is not due yet: nothing was tried
    busy,         // no connection came free within the timeout (threads of this process)
    timeout,      // Redis took longer than the timeout (or never answered)
    lost,         // the connection could not be made or broke
    error_reply,  // Redis answered with an error (WRONGTYPE, OOM, a script error)
  };
  Kind kind;
  std::string detail;
};

class ScriptClient {
 public:
  // `host_now` reads the host clock (the reconnect backoff runs on it, so tests may use a
  // virtual one); `warn` hears each change between up and down and each error reply.
  ScriptClient(ClientSettings settings, std::string script, std::function<HostTime()> host_now,
               std::function<void(const std::string&)> warn);
  ~ScriptClient();
  ScriptClient(const ScriptClient&) = delete;
  ScriptClient& operator=(const ScriptClient&) = delete;

  // EVALSHA of the script with KEYS[1] = key and ARGV = args; its reply, an array, as strings
  // (integers in decimal). Thread-safe.
  std::expected<std::vector<std::string>, ClientFailure> run(std::string_view key, std::span<const std::string> args);

  const ClientSettings& settings() const noexcept { return settings_; }
  // The script's SHA-1 as Redis reported it at SCRIPT LOAD (empty before the first load).
  std::string script_sha() const;

 private:
  struct Connection;
  using Deadline = std::chrono::steady_clock::time_point;

  Connection* claim(Deadline deadline);
  std::expected<void, ClientFailure> ready(Connection& connection, Deadline deadline);
  std::expected<std::vector<std::string>, ClientFailure> evaluate(Connection& connection, Deadline deadline,
                                                                  std::string_view key,
                                                                  std::span<const std::string> args);
  std::expected<std::string, ClientFailure> load_script(Connection& connection, Deadline deadline);
  void broke(const ClientFailure& failure, bool probe);
  void came_up();

  const ClientSettings settings_;
  const std::string script_;
  const std::function<HostTime()> host_now_;
  const std::function<void(const std::string&)> warn_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::atomic<unsigned> next_{0};  // where the search for a free connection starts

  mutable std::mutex state_mutex_;  // the server's state below, and the script's SHA
  bool down_ = false;
  bool probing_ = false;  // a reconnect is being tried: other calls fail fast meanwhile
  HostTime retry_at_{};
  std::chrono::milliseconds backoff_{0};
  std::uint64_t epoch_ = 0;  // +1 per down: connections made before are not reused
  std::string sha_;
};

}  // namespace recourse::plugins::redis_budget
