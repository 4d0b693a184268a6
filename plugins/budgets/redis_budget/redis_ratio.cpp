// The `redis_ratio` budget: the `ratio` budget (Finagle's: over a sliding `window`, retries at
// most `percent`% of the calls started plus `min_per_second` for every second of it) counted in
// one window in Redis for the whole fleet — calls and retries of every process naming the key.
// The window's 10 buckets are slices of the server's time (TIME in budget_scripts.hpp's script).
//
// Calls are counted here and sent with the next round trip: a call start costs no round trip,
// except that once a bucket width (window / 10) has passed since the first unsent one, the
// call that notices sends them (so the shared window lags a process's calls by at most one
// bucket even when it seldom retries). Batching (batch = N) reserves up to N retries a round
// trip, counted in Redis at once; one not used within batch_ttl is uncounted with the next round
// trip, as is a retry released unused.
//
// Without Redis, on_unavailable decides (reason budget_redis_unavailable): `local` (default) a
// window of this process's own calls with min_per_second / fleet_size, `allow`, or `deny`.
module;
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "budget_scripts.hpp"
#include "local_fallback.hpp"
#include "script_client.hpp"

module recourse.plugins.redis_budget;

namespace recourse::plugins::redis_budget {
namespace {

using namespace std::chrono_literals;

struct RatioParams {
  double percent = 0;
  Duration window = 10s;
  double min_per_second = 10;
  FleetSettings fleet;
};

RatioParams parse(const ComponentContext& context) {
  std::vector<std::string_view> known(std::begin(fleet_fields), std::end(fleet_fields));
  known.insert(known.end(), {"percent", "window", "min_per_second"});
  support::ConfigReader in(context.config, known);
  RatioParams p;
  if (auto percent = in.number("percent", 0, 1000, support::required("retries allowed per 100 calls, 0-1000")))
    p.percent = *percent;
  if (auto window = in.duration("window")) {
    // The server's buckets are whole microseconds wide.
    if (*window < 10ms) in.fail("window", "must be at least 10ms (it is split into 10 buckets)");
    else p.window = *window;
  }
  if (auto min_per_second = in.number("min_per_second", 0, 1e9)) p.min_per_second = *min_per_second;
  p.fleet = read_fleet_settings(in, "redis_ratio", context.instance_name);
  in.finish();
  return p;
}

// A token: where the retry was counted (the high byte) and, for the shared window or the local
// one, the bucket index that counted it.
constexpr std::uint64_t index_bits = (std::uint64_t{1} << 56) - 1;
std::uint64_t token_of(GrantSource source, std::int64_t index) {
  return (std::uint64_t{source} << 56) | (static_cast<std::uint64_t>(index) & index_bits);
}

// Uncounts waiting for a round trip, kept few: past this many the oldest are dropped (the
// fleet then allows a little less, never more).
constexpr std::size_t max_uncounts = 32;

struct Reply {
  std::int64_t granted = 0;
  std::int64_t index = 0;
  double left = 0;
};

}  // namespace

class RedisRatio final : public Budget {
 public:
  explicit RedisRatio(const ComponentContext& context)
      : params_(parse(context)),
        clock_(context.host.clock),
        bucket_width_(params_.window / LocalRatioWindow::bucket_count),
        reserve_(100 * params_.min_per_second * std::chrono::duration<double>(params_.window).count()),
        fallback_(params_.percent, reserve_ / params_.fleet.fleet_size, bucket_width_) {
    if (clock_ == nullptr) throw std::invalid_argument("the redis_ratio budget needs the host clock");
    client_ = make_script_client(params_.fleet, ratio_script, context);
  }

  // Calls not yet counted and retries reserved but unused reach Redis, best effort.
  ~RedisRatio() override {
    if (held_ > 0) uncount(held_index_, held_);
    if (pending_calls_ > 0 || !uncounts_.empty()) (void)round_trip(0, take_pending());
  }

  void call_started(std::string_view, TimePoint) noexcept override {
    const TimePoint at = clock_->now();
    bool send = false;
    {
      const std::lock_guard lock(mutex_);
      fallback_.count_call(at);
      if (pending_calls_++ == 0) pending_since_ = at;
      else if (!sending_ && at - pending_since_ >= bucket_width_) send = sending_ = true;
    }
    if (!send) return;
    try {
      (void)round_trip(0, take_pending());
    } catch (...) {  // out of memory: the calls are lost to the window, which then allows less
    }
    const std::lock_guard lock(mutex_);
    sending_ = false;
  }

  BudgetDecision acquire(const BudgetRequest&) override {
    const TimePoint at = clock_->now();
    {
      const std::lock_guard lock(mutex_);
      if (held_ > 0 && at >= held_until_) {
        uncount(held_index_, held_);  // held too long: uncounted with this round trip
        held_ = 0;
      }
      if (held_ > 0) {
        --held_;
        return {true, recourse::reason::allowed, token_of(shared, held_index_)};
      }
    }
    const auto reply = round_trip(params_.fleet.batch, take_pending());
    // A failed round trip may still have run on the server: its calls and uncounts are not
    // sent again (counted once or not at all; the fleet allows less, never more).
    if (!reply) return unavailable(at);
    if (reply->granted < 1) return {false, recourse::reason::budget_denied, 0};
    if (reply->granted > 1) {
      const std::lock_guard lock(mutex_);
      if (held_ > 0) uncount(held_index_, held_);
      held_ = reply->granted - 1;
      held_index_ = reply->index;
      held_until_ = at + params_.fleet.batch_ttl;
    }
    return {true, recourse::reason::allowed, token_of(shared, reply->index)};
  }

  // A retry that never ran is no retry: uncounted in the bucket that counted it, if that
  // bucket still counts its slice of time.
  void release(const BudgetRequest& request, std::uint64_t token) noexcept override {
    if (!request.unused) return;
    const auto source = static_cast<GrantSource>(token >> 56);
    const auto index = static_cast<std::int64_t>(token & index_bits);
    const std::lock_guard lock(mutex_);
    if (source == shared) uncount(index, 1);
    else if (source == local) fallback_.release(index);
  }

  // Retries the shared window would still allow (one round trip, which also sends the calls
  // counted here), or the local window's while Redis is away.
  std::optional<double> level() noexcept override {
    try {
      if (const auto reply = round_trip(0, take_pending())) return reply->left;
    } catch (...) {
      return std::nullopt;
    }
    const std::lock_guard lock(mutex_);
    return fallback_.level(clock_->now());
  }

  // A reload changed the settings: the shared window is in Redis and goes on; the client (same
  // server and bounds) and the local window (same width) carry over, and so do the calls not
  // yet sent. Reserved retries stay with the old budget, which uncounts them when destroyed.
  void carry_from(const Budget& previous) noexcept override {
    const auto* old = dynamic_cast<const RedisRatio*>(&previous);
    if (old == nullptr) return;
    const ClientSettings& mine = params_.fleet.client;
    const ClientSettings& theirs = old->client_->settings();
    if (mine.endpoint == theirs.endpoint && mine.timeout == theirs.timeout && mine.connections == theirs.connections &&
        mine.reconnect_initial == theirs.reconnect_initial && mine.reconnect_max == theirs.reconnect_max)
      client_ = old->client_;
    const std::scoped_lock lock(mutex_, old->mutex_);
    fallback_.carry(old->fallback_);
  }

 private:
  struct Pending {
    std::int64_t calls = 0;
    std::vector<std::pair<std::int64_t, std::int64_t>> uncounts;
  };

  Pending take_pending() {
    const std::lock_guard lock(mutex_);
    Pending p{pending_calls_, std::move(uncounts_)};
    pending_calls_ = 0;
    uncounts_.clear();
    return p;
  }

  // Under the lock.
  void uncount(std::int64_t index, std::int64_t retries) {
    for (auto& [at, n] : uncounts_)
      if (at == index) {
        n += retries;
        return;
      }
    if (uncounts_.size() == max_uncounts) uncounts_.erase(uncounts_.begin());
    uncounts_.emplace_back(index, retries);
  }

  std::optional<Reply> round_trip(int want, const Pending& pending) {
    std::vector<std::string> args{
        std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(bucket_width_).count()),
        script_number(params_.percent), script_number(reserve_), std::to_string(pending.calls), std::to_string(want)};
    for (const auto& [index, n] : pending.uncounts) {
      args.push_back(std::to_string(index));
      args.push_back(std::to_string(n));
    }
    const auto reply = client_->run(params_.fleet.key, args);
    if (!reply || reply->size() < 3) return std::nullopt;
    return Reply{reply_number<std::int64_t>((*reply)[0]), reply_number<std::int64_t>((*reply)[1]),
                 reply_number<double>((*reply)[2])};
  }

  BudgetDecision unavailable(TimePoint at) {
    switch (params_.fleet.on_unavailable) {
      case OnUnavailable::allow: return {true, reason::budget_redis_unavailable, token_of(allowed_blind, 0)};
      case OnUnavailable::deny: return {false, reason::budget_redis_unavailable, 0};
      case OnUnavailable::local: break;
    }
    const std::lock_guard lock(mutex_);
    const std::int64_t index = fallback_.acquire(at);
    if (index < 0) return {false, reason::budget_redis_unavailable, 0};
    return {true, reason::budget_redis_unavailable, token_of(local, index)};
  }

  const RatioParams params_;
  Clock* const clock_;
  const Duration bucket_width_;
  const double reserve_;  // 100 * min_per_second * window seconds, for the fleet
  std::shared_ptr<ScriptClient> client_;
  mutable std::mutex mutex_;  // carry_from() locks its predecessor's
  std::int64_t pending_calls_ = 0;
  TimePoint pending_since_{};
  bool sending_ = false;  // a call start is sending the pending calls
  std::vector<std::pair<std::int64_t, std::int64_t>> uncounts_;  // (bucket index, retries)
  std::int64_t held_ = 0;  // retries reserved in the shared window, not yet used
  std::int64_t held_index_ = 0;
  TimePoint held_until_{};
  LocalRatioWindow fallback_;
};

Budget* make_ratio(const ComponentContext& context) { return new RedisRatio(context); }

}  // namespace recourse::plugins::redis_budget
