// The `redis_token_bucket` budget: the `token_bucket` budget's arithmetic (capacity, refill by
// the second, a retry takes `cost` tokens, one released unused gives them back) on one bucket
// in Redis that every process naming the same key shares. Each decision is one EVALSHA of
// budget_scripts.hpp's script, timed by the server's clock.
//
// Batching (batch = N > 1): a round trip takes up to N tokens, spends one now and keeps the rest
// for this process's next retries, for batch_ttl; what is left then goes back to the bucket with
// the next round trip (or when the budget is destroyed). The tokens are taken from the shared
// bucket before they are spent, so the fleet never grants more than the bucket holds: batching
// costs fairness (one process may sit on N-1 tokens another could use), not the bound.
//
// Without Redis (down, slower than `timeout`, answering errors) on_unavailable decides, with
// reason budget_redis_unavailable: `local` (default) a bucket of capacity / fleet_size refilled
// at refill_per_second / fleet_size, `allow`, or `deny`.
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
#include <vector>

#include "local_fallback.hpp"
#include "script_client.hpp"
#include "budget_scripts.hpp"

module recourse.plugins.redis_budget;

namespace recourse::plugins::redis_budget {
namespace {

constexpr std::int64_t max_tokens = 1'000'000'000;

struct BucketParams {
  std::int64_t capacity = 0;
  double refill_per_second = 0;
  std::int64_t initial = 0;
  FleetSettings fleet;
};

BucketParams parse(const ComponentContext& context) {
  std::vector<std::string_view> known(std::begin(fleet_fields), std::end(fleet_fields));
  known.insert(known.end(), {"capacity", "refill_per_second", "initial"});
  support::ConfigReader in(context.config, known);
  BucketParams p;
  if (auto capacity = in.integer("capacity", 1, max_tokens, support::required("the bucket size in tokens, > 0")))
    p.capacity = *capacity;
  if (auto refill = in.number("refill_per_second", 0, 1e9, support::required("tokens added per second, >= 0")))
    p.refill_per_second = *refill;
  p.initial = in.integer("initial", 0, p.capacity > 0 ? p.capacity : max_tokens).value_or(p.capacity);
  p.fleet = read_fleet_settings(in, "redis_token_bucket", context.instance_name);
  in.finish();
  return p;
}

}  // namespace

class RedisTokenBucket final : public Budget {
 public:
  explicit RedisTokenBucket(const ComponentContext& context)
      : params_(parse(context)),
        clock_(context.host.clock),
        fallback_(static_cast<double>(params_.capacity) / params_.fleet.fleet_size,
                  params_.refill_per_second / params_.fleet.fleet_size,
                  static_cast<double>(params_.initial) / params_.fleet.fleet_size, now()) {
    if (clock_ == nullptr) throw std::invalid_argument("the redis_token_bucket budget needs the host clock");
    client_ = make_script_client(params_.fleet, token_bucket_script, context);
  }

  // Unused tokens go back to the bucket, best effort (one bounded round trip).
  ~RedisTokenBucket() override {
    const double back = reserve_ + give_back_;
    if (back > 0) (void)round_trip(0, 0, back);
  }

  BudgetDecision acquire(const BudgetRequest& request) override {
    if (request.cost <= 0) return {true, recourse::reason::allowed, 0};
    const auto cost = static_cast<double>(request.cost);
    const TimePoint at = now();
    double back;
    {
      const std::lock_guard lock(mutex_);
      if (reserve_ > 0 && at >= reserve_until_) {
        give_back_ += reserve_;  // held too long: back to the fleet with this round trip
        reserve_ = 0;
      }
      if (reserve_ + 1e-9 >= cost) {
        reserve_ = std::max(0.0, reserve_ - cost);
        return {true, recourse::reason::allowed, shared};
      }
      // Not enough left here: what is left goes back in the same round trip that takes anew.
      back = give_back_ + reserve_;
      give_back_ = reserve_ = 0;
    }
    const double want = std::max(cost, static_cast<double>(params_.fleet.batch));
    const auto reply = round_trip(cost, want, back);
    // A round trip that failed may still have run on the server: what it was to give back, and
    // what it may have granted, are lost rather than counted twice (the fleet grants less, never
    // more).
    if (!reply) return unavailable(cost, at);
    const double granted = reply->first;
    if (granted + 1e-9 < cost) return {false, recourse::reason::budget_denied, 0};
    if (granted > cost) {
      const std::lock_guard lock(mutex_);
      reserve_ += granted - cost;
      reserve_until_ = at + params_.fleet.batch_ttl;
    }
    return {true, recourse::reason::allowed, shared};
  }

  // A retry that never ran gives its tokens back: to this process's reserve when they came
  // from the shared bucket (spent next, or returned with a later round trip), to the local
  // budget when they came from it.
  void release(const BudgetRequest& request, std::uint64_t token) noexcept override {
    if (!request.unused || request.cost <= 0) return;
    const std::lock_guard lock(mutex_);
    if (token == shared) {
      if (reserve_ <= 0) reserve_until_ = now() + params_.fleet.batch_ttl;
      reserve_ += request.cost;
    } else if (token == local) {
      fallback_.give_back(request.cost);
    }
  }

  // The shared bucket's tokens (one round trip), or the local budget's while Redis is away.
  std::optional<double> level() noexcept override {
    try {
      if (const auto reply = round_trip(0, 0, 0)) return reply->second;
    } catch (...) {  // out of memory building the request: say nothing rather than throw
      return std::nullopt;
    }
    const std::lock_guard lock(mutex_);
    return fallback_.level(now());
  }

  // A reload changed the settings. The bucket itself is in Redis, so nothing resets it; with
  // the same server and client settings the new budget takes over the connections. The local
  // budget's tokens carry, clamped to the new capacity. The old reserve stays with the old
  // budget, which gives it back when it is destroyed.
  void carry_from(const Budget& previous) noexcept override {
    const auto* old = dynamic_cast<const RedisTokenBucket*>(&previous);
    if (old == nullptr) return;
    const ClientSettings& mine = params_.fleet.client;
    const ClientSettings& theirs = old->client_->settings();
    if (mine.endpoint == theirs.endpoint && mine.timeout == theirs.timeout && mine.connections == theirs.connections &&
        mine.reconnect_initial == theirs.reconnect_initial && mine.reconnect_max == theirs.reconnect_max)
      client_ = old->client_;
    const TimePoint at = now();
    const std::scoped_lock lock(mutex_, old->mutex_);
    fallback_.carry(old->fallback_, at);
  }

 private:
  // {granted, tokens left} from the script, or nullopt without Redis.
  std::optional<std::pair<double, double>> round_trip(double need, double want, double back) {
    const std::string args[]{std::to_string(params_.capacity),
                             script_number(params_.refill_per_second),
                             std::to_string(params_.initial),
                             script_number(need),
                             script_number(want),
                             script_number(back)};
    const auto reply = client_->run(params_.fleet.key, args);
    if (!reply || reply->size() < 2) return std::nullopt;
    return std::pair{reply_number<double>((*reply)[0]), reply_number<double>((*reply)[1])};
  }

  BudgetDecision unavailable(double cost, TimePoint at) {
    switch (params_.fleet.on_unavailable) {
      case OnUnavailable::allow: return {true, reason::budget_redis_unavailable, allowed_blind};
      case OnUnavailable::deny: return {false, reason::budget_redis_unavailable, 0};
      case OnUnavailable::local: break;
    }
    const std::lock_guard lock(mutex_);
    if (fallback_.take(cost, at)) return {true, reason::budget_redis_unavailable, local};
    return {false, reason::budget_redis_unavailable, 0};
  }

  TimePoint now() const { return clock_ != nullptr ? clock_->now() : TimePoint{}; }

  const BucketParams params_;
  Clock* const clock_;
  std::shared_ptr<ScriptClient> client_;  // set before the first call (constructor, carry_from)
  mutable std::mutex mutex_;              // carry_from() locks its predecessor's
  double reserve_ = 0;                    // tokens taken from the shared bucket, not yet spent
  TimePoint reserve_until_{};             // when they are held too long
  double give_back_ = 0;                  // tokens for the next round trip to return
  LocalTokenBucket fallback_;
};

Budget* make_token_bucket(const ComponentContext& context) { return new RedisTokenBucket(context); }

}  // namespace recourse::plugins::redis_budget
