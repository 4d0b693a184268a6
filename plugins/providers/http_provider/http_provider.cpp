// The `http` policy provider: a policy document ([defaults] and [policies."…"], the local
// file's schema) fetched from a control plane and polled. Each new document is offered to the
// host, which makes it the next generation or refuses it (the running one stays: last-known-
// good); an unchanged one costs a 304 (If-None-Match / If-Modified-Since). Every fetch is a
// call of `recourse.control_plane` through the host's executor, so its retries, backoff and
// timeouts are recourse's own and show in timelines and metrics. The last good document is
// saved to `cache_file`, and a process that starts while the control plane is down starts from
// it. Components ([classifiers.x], budgets, …) stay in the local file: a document that defines
// any is refused.
//
// [provider]
// plugin = "http"
// url = "https://control-plane.internal/recourse/checkout.toml"
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

#include "feed_support/document_cache.hpp"
#include "http_fetch.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

import recourse.plugin;
import recourse.support.config;

namespace recourse::plugins::http_provider {
namespace {

using std::chrono::milliseconds;

struct Settings {
  FetchSettings fetch;
  Duration interval = std::chrono::seconds(30);
  double jitter = 0.2;
  std::string token_env;
  std::filesystem::path token_file;
  std::string inline_token;
  std::filesystem::path cache_file;
  Duration initial_wait = std::chrono::seconds(2);
};

milliseconds to_ms(Duration d) { return std::chrono::duration_cast<milliseconds>(d); }

Settings parse(const ConfigView& config) {
  static constexpr std::string_view known[]{
      "plugin",     "url",     "interval",  "jitter",     "connect_timeout", "timeout",    "max_document_bytes",
      "verify_tls", "ca_file", "token_env", "token_file", "token",           "cache_file", "initial_wait"};
  support::ConfigReader in(config, known);
  Settings s;
  if (auto url = in.string("url", support::required("the policy document's http:// or https:// URL"))) {
    if (!url->starts_with("http://") && !url->starts_with("https://"))
      in.fail("url", "expected an http:// or https:// URL, got \"" + *url + "\"");
    s.fetch.url = *url;
  }
  using namespace std::chrono_literals;
  s.interval = in.duration("interval", 10ms, std::chrono::hours(24)).value_or(30s);
  s.jitter = in.number("jitter", 0, 1).value_or(0.2);
  s.fetch.connect_timeout = to_ms(in.duration("connect_timeout", 1ms, 60s).value_or(1s));
  s.fetch.timeout = to_ms(in.duration("timeout", 1ms, 300s).value_or(5s));
  s.fetch.max_bytes = static_cast<std::size_t>(in.integer("max_document_bytes", 1, 1 << 30).value_or(4 << 20));
  s.fetch.verify_tls = in.boolean("verify_tls").value_or(true);
  if (auto ca = in.path("ca_file")) s.fetch.ca_file = ca->string();
  s.token_env = in.string("token_env").value_or("");
  s.token_file = in.path("token_file").value_or("");
  s.inline_token = in.string("token").value_or("");
  if (static_cast<int>(!s.token_env.empty()) + static_cast<int>(!s.token_file.empty()) +
          static_cast<int>(!s.inline_token.empty()) >
      1)
    in.fail("token_env", "give the bearer token one way: token_env, token_file or token");
  s.cache_file = in.path("cache_file").value_or("");
  s.initial_wait = in.duration("initial_wait", 0s, 300s).value_or(2s);
  in.finish();
  return s;
}

// The bearer token, read for every request: a rotated secret file or variable is picked up.
std::string bearer_token(const Settings& s) {
  if (!s.inline_token.empty()) return s.inline_token;
  if (!s.token_env.empty()) {
    const char* value = std::getenv(s.token_env.c_str());
    return value != nullptr ? value : "";
  }
  if (!s.token_file.empty()) {
    std::ifstream in(s.token_file);
    std::string token;
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    return token;
  }
  return {};
}

}  // namespace

class HttpProvider final : public PolicyProvider, public PolicyFeed {
 public:
  explicit HttpProvider(const ComponentContext& context)
      : settings_(parse(context.config)),
        clock_(context.host.clock),
        random_(context.host.random),
        logger_(context.host.logger) {
    if (clock_ == nullptr) throw std::invalid_argument("the http provider needs the host clock");
    if (!settings_.inline_token.empty() && logger_ != nullptr)
      logger_->log(LogLevel::warn,
                   "provider http: the bearer token is written in the config (token = …); "
                   "use token_env or token_file");
    status_.target = settings_.fetch.url;
    if (!settings_.cache_file.empty())
      if (auto cached = load_document(settings_.cache_file)) {
        saved_ =
            PolicyDocument{cached->text, settings_.cache_file.string(), PolicySource::last_known_good, cached->version};
        etag_ = cached->version;
      }
  }

  ~HttpProvider() override { stop(); }

  // The host reads the documents; it never asks a feed for a key.
  std::optional<ResolvedPolicy> policy_for(const Key&) const override { return std::nullopt; }

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

  FeedStatus status() const override {
    const std::lock_guard lock(mutex_);
    return status_;
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
    std::optional<FetchResponse> response;
    FetchFailure failure;
    const std::string reason = host_->run(
        control_plane_key,
        [&](const Attempt& attempt) -> std::string {
          {
            const std::lock_guard lock(mutex_);
            ++status_.fetches;
          }
          FetchRequest request{.if_none_match = etag_,
                               .if_modified_since = last_modified_,
                               .bearer_token = bearer_token(settings_),
                               .stop = attempt.stop};
          if (attempt.deadline != TimePoint::max())
            request.time_left = std::max(milliseconds(1), to_ms(attempt.deadline - clock_->now()));
          auto fetched = fetch(settings_.fetch, request);
          if (!fetched) {
            failure = std::move(fetched.error());
            return failure.reason;
          }
          if (fetched->status != 200 && fetched->status != 304) {
            failure = {"http_" + std::to_string(fetched->status),
                       "GET " + settings_.fetch.url + ": HTTP " + std::to_string(fetched->status)};
            return failure.reason;
          }
          response = std::move(*fetched);
          return {};
        },
        stop);
    const WallTime now = clock_->wall_now();
    if (!reason.empty()) {
      if (stop.stop_requested()) return;  // stopping: not a control plane failure
      {
        const std::lock_guard lock(mutex_);
        status_.last_fetch = now;
        ++status_.failures;
        status_.last_error = reason + ": " + (failure.detail.empty() ? reason : failure.detail);
      }
      host_->report_error(reason, failure.detail.empty() ? reason : failure.detail);
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

  const Settings settings_;
  Clock* const clock_;
  RandomSource* const random_;
  Logger* const logger_;
  std::optional<PolicyDocument> saved_;
  PolicyFeedHost* host_ = nullptr;
  // The document in force, as the control plane named it: written by the feed's thread only.
  std::string etag_;
  std::string last_modified_;
  mutable std::mutex mutex_;
  std::condition_variable first_done_;
  bool first_fetch_done_ = false;  // under mutex_
  FeedStatus status_;              // under mutex_
  std::jthread thread_;            // last: joined before the members it uses go
};

}  // namespace recourse::plugins::http_provider

RECOURSE_DECLARE_PLUGIN("http_provider", "1.0.0",
                        recourse::provider_component<recourse::plugins::http_provider::HttpProvider>("http"))
