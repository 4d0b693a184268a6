// The `http` policy provider, in one of two modes.
//
// A document (`url`): a policy document ([defaults] and [policies."…"], the local file's
// schema) fetched from a control plane and polled. Each new document is offered to the host,
// which makes it the next generation or refuses it (the running one stays: last-known-good);
// an unchanged one costs a 304 (If-None-Match / If-Modified-Since). The last good document is
// saved to `cache_file`, and a process that starts while the control plane is down starts
// from it.
//
// A policy per key (`base_url`): `GET {base_url}/{key}` on a key's first use, the body that
// key's [policies."<key>"] table, laid over the local policies (key_feed.hpp).
//
// Either way every fetch is a call of `recourse.control_plane` through the host's executor, so
// its retries, backoff and timeouts are recourse's own and show in timelines and metrics.
// Components ([classifiers.x], budgets, …) stay in the local file.
//
// [provider]
// plugin = "http"
// url = "https://control-plane.internal/recourse/checkout.toml"
//   # or base_url = "https://control-plane.internal/recourse/keys" (found_ttl = "60s",
//   # missing_ttl = "10s", first_wait = "250ms", max_keys = 1000, fetchers = 2)
// interval = "30s"              # between polls, each ± jitter × interval
// jitter = 0.2
// connect_timeout = "1s"        # per request
// timeout = "5s"                # per request, the whole transfer
// max_document_bytes = 4194304
// verify_tls = true
// ca_file = "/etc/ssl/certs/internal-ca.pem"
// token_env = "RECOURSE_CONTROL_PLANE_TOKEN"   # or token_file = "/run/secrets/cp-token"
// cache_file = "/var/lib/checkout/recourse-policies.toml"   # relative: to the config file
// initial_wait = "2s"           # how long loading waits for the first document
#include <recourse/plugin.h>

#include "control_plane_get.hpp"
#include "feed_support/document_cache.hpp"
#include "http_settings.hpp"
#include "key_feed.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

import recourse.plugin;

namespace recourse::plugins::http_provider {

// What both modes share: the settings, the host's services, the status.
class HttpFeed : public PolicyProvider, public PolicyFeed {
 public:
  HttpFeed(const ComponentContext& context, Settings settings)
      : settings_(std::move(settings)),
        clock_(context.host.clock),
        random_(context.host.random),
        logger_(context.host.logger) {
    if (clock_ == nullptr) throw std::invalid_argument("the http provider needs the host clock");
    if (!settings_.inline_token.empty() && logger_ != nullptr)
      logger_->log(LogLevel::warn,
                   "provider http: the bearer token is written in the config (token = …); "
                   "use token_env or token_file");
  }

  // The host reads the documents (and the per-key answers); it never asks a feed for a key.
  std::optional<ResolvedPolicy> policy_for(const Key&) const override { return std::nullopt; }

  FeedStatus status() const override {
    const std::lock_guard lock(mutex_);
    return status_;
  }

 protected:
  const Settings settings_;
  Clock* const clock_;
  RandomSource* const random_;
  Logger* const logger_;
  mutable std::mutex mutex_;
  FeedStatus status_;  // under mutex_
};

class DocumentFeed final : public HttpFeed {
 public:
  DocumentFeed(const ComponentContext& context, Settings settings) : HttpFeed(context, std::move(settings)) {
    status_.target = settings_.fetch.url;
    if (!settings_.cache_file.empty())
      if (auto cached = load_document(settings_.cache_file)) {
        saved_ =
            PolicyDocument{cached->text, settings_.cache_file.string(), PolicySource::last_known_good, cached->version};
        etag_ = cached->version;
      }
  }

  ~DocumentFeed() override { stop(); }

  std::optional<PolicyDocument> saved() const override { return saved_; }

  void start(PolicyFeedHost& host) override {
    host_ = &host;
    thread_ = std::jthread([this](std::stop_token stop) { follow(stop); });
    std::unique_lock lock(mutex_);
    first_done_.wait_for(lock, settings_.initial_wait, [&] { return first_fetch_done_; });
  }

  void stop() noexcept override {
    if (!thread_.joinable()) return;
    thread_.request_stop();
    thread_.join();
  }

 private:
  void follow(const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      poll(stop);
      {
        const std::lock_guard lock(mutex_);
        first_fetch_done_ = true;
      }
      first_done_.notify_all();
      clock_->sleep_until(clock_->now() + next_delay(), stop);
    }
  }

  // interval ± jitter × interval, so a fleet started together does not poll together.
  Duration next_delay() {
    const double unit = random_ != nullptr ? random_->next_unit() : 0.5;
    const double factor = 1.0 + settings_.jitter * (2.0 * unit - 1.0);
    return std::chrono::duration_cast<Duration>(settings_.interval * factor);
  }

  void poll(const std::stop_token& stop) {
    const auto count_request = [&] {
      const std::lock_guard lock(mutex_);
      ++status_.fetches;
    };
    auto response = get_through_host(
        *host_, *clock_, settings_.fetch,
        FetchRequest{
            .if_none_match = etag_, .if_modified_since = last_modified_, .bearer_token = bearer_token(settings_)},
        {200, 304}, stop, count_request);
    const WallTime now = clock_->wall_now();
    if (!response) {
      if (stop.stop_requested()) return;  // stopping: not a control plane failure
      {
        const std::lock_guard lock(mutex_);
        status_.last_fetch = now;
        ++status_.failures;
        status_.last_error = response.error().reason + ": " + response.error().detail;
      }
      host_->report_error(response.error().reason, response.error().detail);
      return;
    }
    if (response->status == 304) {
      const std::lock_guard lock(mutex_);
      status_.last_fetch = status_.last_good = now;
      ++status_.unchanged;
      status_.last_error.clear();
      return;
    }
    const std::vector<std::string> refused =
        host_->offer(PolicyDocument{response->body, settings_.fetch.url, PolicySource::remote, response->etag});
    const std::lock_guard lock(mutex_);
    status_.last_fetch = now;
    if (!refused.empty()) {
      ++status_.refused;
      status_.last_error = "invalid_document: " + refused.front();
      return;
    }
    etag_ = response->etag;
    last_modified_ = response->last_modified;
    status_.last_good = now;
    status_.version = response->etag;
    status_.last_error.clear();
    if (!settings_.cache_file.empty()) {
      if (std::string error = save_document(settings_.cache_file, {response->body, response->etag}); !error.empty()) {
        if (logger_ != nullptr) logger_->log(LogLevel::warn, "provider http: " + error);
      }
    }
  }

  std::optional<PolicyDocument> saved_;
  PolicyFeedHost* host_ = nullptr;
  // The document in force, as the control plane named it: written by the feed's thread only.
  std::string etag_;
  std::string last_modified_;
  std::condition_variable first_done_;
  bool first_fetch_done_ = false;  // under mutex_
  std::jthread thread_;            // last: joined before the members it uses go
};

class PerKeyFeed final : public HttpFeed, public KeyedPolicyFeed {
 public:
  PerKeyFeed(const ComponentContext& context, Settings settings)
      : HttpFeed(context, std::move(settings)), keys_(settings_, *clock_, logger_, status_, mutex_) {
    status_.target = settings_.keys.base_url + "/{key}";
  }
  ~PerKeyFeed() override { stop(); }

  void start(PolicyFeedHost& host) override { keys_.start(host); }
  void stop() noexcept override { keys_.stop(); }
  void request(std::string_view key, bool wait) noexcept override { keys_.request(key, wait); }

 private:
  KeyFeed keys_;
};

PolicyProvider* make_http_provider(const ComponentContext& context) {
  Settings settings = parse_settings(context.config);
  if (settings.per_key()) return new PerKeyFeed(context, std::move(settings));
  return new DocumentFeed(context, std::move(settings));
}

}  // namespace recourse::plugins::http_provider

RECOURSE_DECLARE_PLUGIN("http_provider", "1.0.0",
                        recourse::PluginComponent{recourse::ComponentCategory::provider,
                                                  "http",
                                                  {.provider = &recourse::plugins::http_provider::make_http_provider}})
