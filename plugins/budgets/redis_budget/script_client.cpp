// script_client.hpp: a few hiredis connections, each behind a timed mutex. A pool rather than
// one shared connection because a caller waiting behind another's round trip would wait past
// its own bound; with `connections` of them, that many calls are in flight at once and a
// further one waits for a free one only until its deadline (the lock wait counts in the bound,
// so a call never takes longer than `timeout` whatever the other threads do).
#include "script_client.hpp"

#include <hiredis/hiredis.h>

#include <pthread.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <optional>
#include <utility>

namespace recourse::plugins::redis_budget {
namespace {

using Clock = std::chrono::steady_clock;

// hiredis writes with write(2): to a socket Redis has closed that raises SIGPIPE, which by
// default ends the process. A library must not change the process's disposition, so SIGPIPE is
// blocked on this thread while hiredis runs and one it raised is taken off the pending set.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
    was_pending_ = pending();
  }
  ~SigpipeBlocked() {
    if (!was_pending_ && pending()) {
      const timespec no_wait{0, 0};
      sigtimedwait(&pipe_, nullptr, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  static bool pending() {
    sigset_t set;
    sigemptyset(&set);
    sigpending(&set);
    return sigismember(&set, SIGPIPE) == 1;
  }
  sigset_t pipe_{};
  sigset_t previous_{};
  bool was_pending_ = false;
};

// What is left until `deadline`, as hiredis takes it; nullopt when nothing is (a zero timeval
// would mean "no timeout" to the socket).
std::optional<timeval> time_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
  if (left.count() <= 0) return std::nullopt;
  return timeval{static_cast<time_t>(left.count() / 1'000'000), static_cast<suseconds_t>(left.count() % 1'000'000)};
}

struct ReplyDeleter {
  void operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

ClientFailure failure(ClientFailure::Kind kind, std::string detail) { return ClientFailure{kind, std::move(detail)}; }

}  // namespace

std::string RedisEndpoint::to_string() const {
  return "redis://" + host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

struct ScriptClient::Connection {
  std::timed_mutex mutex;
  redisContext* context = nullptr;  // under `mutex`
  std::uint64_t epoch = 0;          // the client's epoch when it connected

  void close() noexcept {
    if (context != nullptr) redisFree(context);
    context = nullptr;
  }
  ~Connection() { close(); }

  // One command within the deadline. A timeout or an I/O error leaves the connection in an
  // unknown state (a late reply would answer the next command): it is closed.
  std::expected<Reply, ClientFailure> command(Clock::time_point deadline, std::span<const std::string> args) {
    const auto left = time_left(deadline);
    if (!left) return std::unexpected(failure(ClientFailure::Kind::timeout, "no time left for the round trip"));
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    redisSetTimeout(context, *left);
    void* raw = nullptr;
    {
      const SigpipeBlocked blocked;
      raw = redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data());
    }
    if (raw == nullptr) {
      const bool timed_out = context->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
      std::string detail = context->errstr;
      close();
      if (timed_out) return std::unexpected(failure(ClientFailure::Kind::timeout, "no reply within the timeout"));
      return std::unexpected(failure(ClientFailure::Kind::lost, detail.empty() ? "connection lost" : detail));
    }
    return Reply(static_cast<redisReply*>(raw));
  }
};

ScriptClient::ScriptClient(ClientSettings settings, std::string script, std::function<HostTime()> host_now,
                           std::function<void(const std::string&)> warn)
    : settings_(std::move(settings)),
      script_(std::move(script)),
      host_now_(std::move(host_now)),
      warn_(std::move(warn)) {
  const int count = std::max(1, settings_.connections);
  for (int i = 0; i < count; ++i) connections_.push_back(std::make_unique<Connection>());
}

ScriptClient::~ScriptClient() = default;

std::string ScriptClient::script_sha() const {
  const std::lock_guard lock(state_mutex_);
  return sha_;
}

std::expected<std::vector<std::string>, ClientFailure> ScriptClient::run(std::string_view key,
                                                                         std::span<const std::string> args) {
  const Clock::time_point deadline = Clock::now() + settings_.timeout;
  bool probe = false;
  {
    const std::lock_guard lock(state_mutex_);
    if (down_) {
      if (probing_ || host_now_() < retry_at_)
        return std::unexpected(failure(ClientFailure::Kind::down, "down; reconnecting later"));
      probing_ = probe = true;  // this call tries the reconnect; the others keep failing fast
    }
  }
  Connection* connection = claim(deadline);
  if (connection == nullptr) {
    if (probe) {
      const std::lock_guard lock(state_mutex_);
      probing_ = false;
    }
    return std::unexpected(failure(ClientFailure::Kind::busy, "no connection free within the timeout"));
  }
  const std::lock_guard hold(connection->mutex, std::adopt_lock);
  const auto connected = ready(*connection, deadline);
  auto result = connected ? evaluate(*connection, deadline, key, args)
                          : std::expected<std::vector<std::string>, ClientFailure>(std::unexpect, connected.error());
  if (!result && connection->context == nullptr) broke(result.error(), probe);
  else if (probe) came_up();
  return result;
}

ScriptClient::Connection* ScriptClient::claim(Deadline deadline) {
  const std::size_t count = connections_.size();
  const std::size_t start = next_.fetch_add(1, std::memory_order_relaxed) % count;
  for (std::size_t i = 0; i < count; ++i) {
    Connection& c = *connections_[(start + i) % count];
    if (c.mutex.try_lock()) return &c;
  }
  Connection& c = *connections_[start];
  return c.mutex.try_lock_until(deadline) ? &c : nullptr;
}

// Connected, in the current epoch (a connection from before the server went down is not
// trusted: the server may have restarted under it).
std::expected<void, ClientFailure> ScriptClient::ready(Connection& connection, Deadline deadline) {
  std::uint64_t epoch;
  {
    const std::lock_guard lock(state_mutex_);
    epoch = epoch_;
  }
  if (connection.context != nullptr && connection.epoch == epoch) return {};
  connection.close();
  const auto left = time_left(deadline);
  if (!left) return std::unexpected(failure(ClientFailure::Kind::timeout, "no time left to connect"));
  redisContext* context = redisConnectWithTimeout(settings_.endpoint.host.c_str(), settings_.endpoint.port, *left);
  if (context == nullptr) return std::unexpected(failure(ClientFailure::Kind::lost, "out of memory"));
  if (context->err != 0) {
    std::string detail = context->errstr;
    redisFree(context);
    return std::unexpected(failure(ClientFailure::Kind::lost, "connect: " + detail));
  }
  connection.context = context;
  connection.epoch = epoch;
  if (settings_.endpoint.db == 0) return {};
  const std::string select[]{"SELECT", std::to_string(settings_.endpoint.db)};
  auto reply = connection.command(deadline, select);
  if (!reply) return std::unexpected(reply.error());
  if ((*reply)->type == REDIS_REPLY_ERROR) {
    std::string detail((*reply)->str, (*reply)->len);
    connection.close();  // not usable for this server's database
    return std::unexpected(failure(ClientFailure::Kind::lost, "SELECT: " + detail));
  }
  return {};
}

std::expected<std::string, ClientFailure> ScriptClient::load_script(Connection& connection, Deadline deadline) {
  const std::string load[]{"SCRIPT", "LOAD", script_};
  auto reply = connection.command(deadline, load);
  if (!reply) return std::unexpected(reply.error());
  if ((*reply)->type != REDIS_REPLY_STRING)
    return std::unexpected(failure(ClientFailure::Kind::error_reply,
                                   "SCRIPT LOAD: " + std::string((*reply)->str ? (*reply)->str : "no SHA")));
  std::string sha((*reply)->str, (*reply)->len);
  const std::lock_guard lock(state_mutex_);
  sha_ = sha;
  return sha;
}

std::expected<std::vector<std::string>, ClientFailure> ScriptClient::evaluate(Connection& connection, Deadline deadline,
                                                                              std::string_view key,
                                                                              std::span<const std::string> args) {
  std::string sha = script_sha();
  if (sha.empty()) {
    auto loaded = load_script(connection, deadline);
    if (!loaded) return std::unexpected(loaded.error());
    sha = std::move(*loaded);
  }
  std::vector<std::string> argv{"EVALSHA", sha, "1", std::string(key)};
  argv.insert(argv.end(), args.begin(), args.end());
  auto reply = connection.command(deadline, argv);
  // The script cache is gone (SCRIPT FLUSH, a restarted or failed-over server): load it again
  // and retry once, within the same deadline.
  if (reply && (*reply)->type == REDIS_REPLY_ERROR && std::string_view((*reply)->str).starts_with("NOSCRIPT")) {
    auto loaded = load_script(connection, deadline);
    if (!loaded) return std::unexpected(loaded.error());
    argv[1] = std::move(*loaded);
    reply = connection.command(deadline, argv);
  }
  if (!reply) return std::unexpected(reply.error());
  const redisReply& r = **reply;
  if (r.type == REDIS_REPLY_ERROR) {
    std::string detail(r.str, r.len);
    if (warn_) warn_("redis budget " + settings_.endpoint.to_string() + ": " + detail);
    return std::unexpected(failure(ClientFailure::Kind::error_reply, std::move(detail)));
  }
  if (r.type != REDIS_REPLY_ARRAY)
    return std::unexpected(failure(ClientFailure::Kind::error_reply, "the script did not answer an array"));
  std::vector<std::string> values;
  values.reserve(r.elements);
  for (std::size_t i = 0; i < r.elements; ++i) {
    const redisReply& e = *r.element[i];
    if (e.type == REDIS_REPLY_INTEGER) values.push_back(std::to_string(e.integer));
    else if (e.type == REDIS_REPLY_STRING || e.type == REDIS_REPLY_STATUS) values.emplace_back(e.str, e.len);
    else values.emplace_back();
  }
  return values;
}

// The connection broke (it is closed): the server is down from now on, until a reconnect
// succeeds. The first failure starts the backoff at its initial interval; each failed
// reconnect (`probe`) doubles it, up to the cap. A call that began before the server went
// down and fails after changes nothing: the probe in flight, if any, stays the only one.
void ScriptClient::broke(const ClientFailure& failure, bool probe) {
  std::string message;
  {
    const std::lock_guard lock(state_mutex_);
    const HostTime now = host_now_();
    if (!down_) {
      down_ = true;
      ++epoch_;
      backoff_ = settings_.reconnect_initial;
      retry_at_ = now + backoff_;
      message = "redis budget " + settings_.endpoint.to_string() + " unavailable (" + failure.detail +
                "); deciding without it, reconnecting in " + std::to_string(backoff_.count()) + "ms";
    } else if (probe) {
      backoff_ = std::min(settings_.reconnect_max, backoff_ * 2);
      retry_at_ = now + backoff_;
      probing_ = false;
    }
  }
  if (!message.empty() && warn_) warn_(message);
}

void ScriptClient::came_up() {
  {
    const std::lock_guard lock(state_mutex_);
    if (!down_) return;
    down_ = probing_ = false;
    backoff_ = std::chrono::milliseconds(0);
  }
  if (warn_) warn_("redis budget " + settings_.endpoint.to_string() + " reachable again: back on the shared budget");
}

}  // namespace recourse::plugins::redis_budget
