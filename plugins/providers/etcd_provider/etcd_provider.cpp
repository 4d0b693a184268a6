// The `etcd` policy provider: a policy document ([defaults] and [policies."…"], the local
// file's schema) kept in etcd v3 under one key — or in the keys under a prefix, composed into
// one document — and followed with a watch, through etcd's JSON gateway (docs/decisions/0009).
// A put is offered to the host as soon as the watch delivers it; the host makes it the next
// generation or refuses it (the running one stays: last-known-good). The first read, every
// re-read and every watch's opening are calls of `recourse.control_plane` through the host's
// executor, so their retries, backoff and timeouts are recourse's own. A watch that ends (etcd
// restarted, the connection dropped) is reported, and reopened after a growing, jittered,
// capped wait on the host clock, from the revision after the last one seen: what was put
// meanwhile arrives as events. A start revision etcd has compacted away is read again instead.
// The last good document is saved to `cache_file`; a process that starts while etcd is down
// starts from it.
//
// [provider]
// plugin = "etcd"
// endpoints = ["http://10.0.0.1:2379", "http://10.0.0.2:2379"]   # tried in turn
// key = "/recourse/checkout"          # or prefix = "/recourse/checkout/"
// connect_timeout = "1s"
// timeout = "5s"                      # a range; a watch until etcd has created it
// max_document_bytes = 4194304
// reconnect_backoff = "200ms"         # after a watch ends: doubling, jittered…
// max_reconnect_backoff = "10s"       # …up to this
// verify_tls = true                   # ca_file, cert_file + key_file for https endpoints
// cache_file = "/var/lib/checkout/recourse-policies.toml"
// initial_wait = "2s"                 # how long loading waits for the first document
#include <recourse/mutex.h>
#include <recourse/plugin.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "etcd_document.hpp"
#include "etcd_gateway.hpp"
#include "feed_support/document_cache.hpp"
#include "http_stream.hpp"
#include "etcd_settings.hpp"  // last: it imports recourse.plugin

import recourse.plugin;

namespace recourse::plugins::etcd_provider {
namespace {

using std::chrono::milliseconds;

struct Failure {
  std::string reason;
  std::string detail;
};

// A non-200 answer: the gateway's error object when it sent one (grpc_<code>), else the status.
Failure failure_of(long status, std::string_view body, const std::string& url) {
  if (auto error = parse_error_answer(body)) return {error->reason, "POST " + url + ": " + error->detail};
  return {"http_" + std::to_string(status), "POST " + url + ": HTTP " + std::to_string(status)};
}

// Worth trying the next endpoint: this one did not answer, or answered that it cannot serve.
bool endpoint_failed(std::string_view reason) {
  return reason != "invalid_response" && reason != "too_large" && !reason.starts_with("grpc_invalid") &&
         reason != "grpc_permission_denied" && reason != "grpc_unauthenticated";
}

}  // namespace

class EtcdProvider final : public PolicyProvider, public PolicyFeed {
 public:
  explicit EtcdProvider(const ComponentContext& context)
      : settings_(parse_settings(context.config)),
        clock_(context.host.clock),
        random_(context.host.random),
        logger_(context.host.logger),
        what_((settings_.prefix ? "prefix " : "key ") + settings_.range.key),
        label_(label_of(settings_.range.key)) {
    if (clock_ == nullptr) throw std::invalid_argument("the etcd provider needs the host clock");
    status_.target = target();
    if (!settings_.cache_file.empty())
      if (auto cached = load_document(settings_.cache_file))
        saved_ =
            PolicyDocument{cached->text, settings_.cache_file.string(), PolicySource::last_known_good, cached->version};
  }

  ~EtcdProvider() override { stop(); }

  // The host reads the documents; it never asks a feed for a key.
  std::optional<ResolvedPolicy> policy_for(const Key&) const override { return std::nullopt; }

  std::optional<PolicyDocument> saved() const override { return saved_; }

  void start(PolicyFeedHost& host) override {
    host_ = &host;
    thread_ = std::jthread([this](std::stop_token stop) { follow(stop); });
    const auto until = std::chrono::steady_clock::now() + settings_.initial_wait;
    detail::UniqueLock lock(mutex_);
    while (!first_read_done_)
      if (first_read_.wait_until(lock.native(), until) == std::cv_status::timeout) break;
  }

  void stop() noexcept override {
    if (!thread_.joinable()) return;
    thread_.request_stop();  // wakes a transfer at once (curl_multi_wakeup) and the backoff sleep
    thread_.join();
  }

  FeedStatus status() const override {
    const detail::MutexLock lock(mutex_);
    FeedStatus status = status_;
    // An open watch confirms the document in force continuously: it is as fresh as now, unless
    // etcd holds one the host refused (or nothing).
    if (watching_ && in_sync_) status.last_good = clock_->wall_now();
    return status;
  }

 private:
  enum class WatchEnd { failed, read_again };

  // --- the feed's thread

  void follow(const std::stop_token& stop) {
    int failures = 0;  // in a row, for the backoff
    bool must_read = true;
    while (!stop.stop_requested()) {
      if (must_read) {
        const bool read = read_all(stop);
        {
          const detail::MutexLock lock(mutex_);
          first_read_done_ = true;
        }
        first_read_.notify_all();
        if (!read) {
          if (!back_off(failures++, stop)) return;
          continue;
        }
        must_read = false;
      }
      const WatchEnd end = watch(stop, failures);
      if (stop.stop_requested()) return;
      if (end == WatchEnd::read_again) {
        must_read = true;
        continue;
      }
      if (!back_off(failures++, stop)) return;
    }
  }

  // reconnect_backoff × 2^failures, capped, then a random point in its upper half: a fleet
  // whose etcd restarted does not come back in step. On the host clock: stop() cuts it short.
  bool back_off(int failures, const std::stop_token& stop) {
    Duration wait = settings_.reconnect_backoff;
    for (int i = 0; i < failures && wait < settings_.max_reconnect_backoff; ++i) wait *= 2;
    wait = std::min(wait, settings_.max_reconnect_backoff);
    const double unit = random_ != nullptr ? random_->next_unit() : 0.5;
    wait = std::chrono::duration_cast<Duration>(wait * (0.5 + 0.5 * unit));
    return clock_->sleep_until(clock_->now() + wait, stop);
  }

  // The range: every key of settings_.range as it is now, made the state the watch starts from.
  bool read_all(const std::stop_token& stop) {
    std::optional<RangeAnswer> answer;
    Failure failure;
    const std::string reason = host_->run(
        control_plane_key,
        [&](const Attempt& attempt) -> std::string {
          const std::string url = endpoint() + "/v3/kv/range";
          counted_fetch();
          HttpStream post(settings_.transport, url, range_request(settings_.range), answer_limit());
          auto got = post.read_all(time_left(attempt), attempt.stop);
          if (!got) {
            failure = {got.error().reason, got.error().detail};
          } else if (got->status != 200) {
            failure = failure_of(got->status, got->body, url);
          } else if (auto parsed = parse_range_answer(got->body); !parsed) {
            failure = {parsed.error().reason, "POST " + url + ": " + parsed.error().detail};
          } else {
            answer = std::move(*parsed);
            return {};
          }
          if (endpoint_failed(failure.reason)) next_endpoint();
          return failure.reason;
        },
        stop);
    if (!reason.empty()) {
      if (!stop.stop_requested()) failed(reason, failure.detail.empty() ? reason : failure.detail);
      return false;
    }
    revision_ = answer->header.revision;
    cluster_id_ = answer->header.cluster_id;
    values_.clear();
    for (KeyValue& kv : answer->kvs) values_[kv.key] = StoredValue{std::move(kv.value), kv.mod_revision};
    fetched();
    offer_current(false);
    return true;
  }

  // Opens a watch from the revision after the last one seen and follows it until it ends.
  WatchEnd watch(const std::stop_token& stop, int& failures) {
    std::unique_ptr<HttpStream> stream;
    std::optional<WatchMessage> created;
    Failure failure;
    const std::string reason = host_->run(
        control_plane_key,
        [&](const Attempt& attempt) -> std::string {
          const std::string attempt_url = endpoint() + "/v3/watch";
          counted_fetch();
          stream = std::make_unique<HttpStream>(settings_.transport, attempt_url,
                                                watch_request(settings_.range, revision_ + 1), answer_limit());
          auto line = stream->next_line(time_left(attempt), attempt.stop);
          if (!line) {
            failure = {line.error().reason, line.error().detail};
          } else if (!*line) {
            failure = {"watch_closed", "POST " + attempt_url + ": etcd ended the watch before creating it"};
          } else if (stream->status() != 200) {
            failure = failure_of(stream->status(), **line, attempt_url);
          } else if (auto message = parse_watch_message(**line); !message) {
            failure = {message.error().reason, "POST " + attempt_url + ": " + message.error().detail};
          } else if (!message->created) {
            failure = {"invalid_response", "POST " + attempt_url + ": the watch's first message is not `created`"};
          } else {
            created = std::move(*message);
            return {};
          }
          stream.reset();
          if (endpoint_failed(failure.reason)) next_endpoint();
          return failure.reason;
        },
        stop);
    if (!reason.empty()) {
      if (!stop.stop_requested()) failed(reason, failure.detail.empty() ? reason : failure.detail);
      return WatchEnd::failed;
    }
    failures = 0;
    fetched();
    // Another cluster behind the endpoint, or this one restored from a backup: its revisions
    // are not the ones seen, and a watch from ours would wait for history it will never have.
    if ((!cluster_id_.empty() && created->header.cluster_id != cluster_id_) || created->header.revision < revision_) {
      log(LogLevel::warn, "etcd at " + endpoint() + " is at revision " + std::to_string(created->header.revision) +
                              " of cluster " + created->header.cluster_id + ", the feed saw revision " +
                              std::to_string(revision_) + " of cluster " + cluster_id_ + ": reading " + what_ +
                              " again");
      return WatchEnd::read_again;
    }
    set_watching(true);
    const WatchEnd end = follow_stream(*stream, stop);
    set_watching(false);
    return end;
  }

  WatchEnd follow_stream(HttpStream& stream, const std::stop_token& stop) {
    const std::string url = endpoint() + "/v3/watch";
    while (true) {
      auto line = stream.next_line(milliseconds::max(), stop);
      if (stop.stop_requested()) return WatchEnd::failed;
      if (!line) {
        failed(line.error().reason, "watch: " + line.error().detail);
        if (line.error().reason == "too_large") return WatchEnd::read_again;  // the range may bring less
        if (endpoint_failed(line.error().reason)) next_endpoint();
        return WatchEnd::failed;
      }
      if (!*line) {
        failed("watch_closed", "watch: POST " + url + ": etcd closed the watch stream");
        next_endpoint();
        return WatchEnd::failed;
      }
      if ((*line)->empty()) continue;
      auto message = parse_watch_message(**line);
      if (!message) {
        failed(message.error().reason, "watch: POST " + url + ": " + message.error().detail);
        if (endpoint_failed(message.error().reason)) next_endpoint();
        return WatchEnd::failed;
      }
      if (message->canceled) {
        if (message->compact_revision > 0) {
          log(LogLevel::info, "etcd compacted its history to revision " + std::to_string(message->compact_revision) +
                                  ", past revision " + std::to_string(revision_ + 1) +
                                  " the watch would resume from: "
                                  "reading " +
                                  what_ + " again");
          return WatchEnd::read_again;
        }
        failed("watch_canceled", "watch: POST " + url + ": etcd canceled the watch" +
                                     (message->cancel_reason.empty() ? "" : ": " + message->cancel_reason));
        return WatchEnd::failed;
      }
      fetched();
      if (!message->events.empty()) apply(message->events);
    }
  }

  // A batch of events: the state after the last of them is what is offered (a watch that
  // resumes after a while brings every put since in one batch; only the latest counts).
  void apply(const std::vector<KeyValue>& events) {
    bool deleted = false;
    for (const KeyValue& kv : events) {
      revision_ = std::max(revision_, kv.mod_revision);
      if (kv.deleted) {
        deleted = values_.erase(kv.key) > 0 || deleted;
      } else {
        values_[kv.key] = StoredValue{kv.value, kv.mod_revision};
      }
    }
    offer_current(deleted);
  }

  // The document etcd holds now (values_), offered unless it is the one in force.
  void offer_current(bool deleted) {
    if (values_.empty()) {
      const std::string reason = deleted ? "document_deleted" : "no_document";
      const std::string why = deleted ? "etcd " + what_ + " was deleted at revision " + std::to_string(revision_) +
                                            "; the running policies stay until a new document is put"
                                      : "etcd has no " + what_ + " (revision " + std::to_string(revision_) +
                                            "); the running policies stay until a document is put";
      {
        const detail::MutexLock lock(mutex_);
        status_.last_error = reason + ": " + why;
        in_sync_ = false;
      }
      host_->report_error(reason, why);
      return;
    }
    std::string content;  // what the document is made of, to tell a put of the same text
    PolicyDocument document{{}, label_, PolicySource::remote, {}};
    ComposedDocument composed;
    if (settings_.prefix) {
      composed = compose(values_);
      document.text = composed.text;
      document.version = std::to_string(composed.revision);
      for (const auto& [key, stored] : values_) content += key + '\0' + stored.value + '\0';
    } else {
      document.text = content = values_.begin()->second.value;
      document.version = std::to_string(values_.begin()->second.mod_revision);
    }
    if (content == offered_content_) {
      const detail::MutexLock lock(mutex_);
      ++status_.unchanged;
      status_.version = document.version;
      status_.last_good = clock_->wall_now();
      status_.last_error.clear();
      in_sync_ = true;
      return;
    }
    if (document.text.size() > settings_.max_document_bytes) {
      refuse_own("too_large", "etcd " + what_ + " at revision " + document.version + " is " +
                                  std::to_string(document.text.size()) + " bytes, more than max_document_bytes (" +
                                  std::to_string(settings_.max_document_bytes) + ")");
      return;
    }
    if (!composed.errors.empty()) {
      refuse_own("invalid_document", composed.errors.front());
      return;
    }
    std::vector<std::string> refusals = host_->offer(document);
    if (!refusals.empty()) {
      if (settings_.prefix) {
        // The host located them in the composed text; observers hear them again, located in
        // the keys they came from.
        std::string located;
        for (std::string& error : refusals) {
          error = relocate(error, label_, composed);
          located += (located.empty() ? "" : "\n") + error;
        }
        host_->report_error("invalid_document", located);
      }
      const detail::MutexLock lock(mutex_);
      ++status_.refused;
      status_.last_error = "invalid_document: " + refusals.front();
      in_sync_ = false;
      return;
    }
    offered_content_ = std::move(content);
    {
      const detail::MutexLock lock(mutex_);
      status_.version = document.version;
      status_.last_good = clock_->wall_now();
      status_.last_error.clear();
      in_sync_ = true;
    }
    if (!settings_.cache_file.empty())
      if (std::string error = save_document(settings_.cache_file, {document.text, document.version}); !error.empty())
        log(LogLevel::warn, error);
  }

  // A document the provider refuses before the host sees it: observers hear why.
  void refuse_own(const std::string& reason, const std::string& why) {
    {
      const detail::MutexLock lock(mutex_);
      ++status_.refused;
      status_.last_error = reason + ": " + why;
      in_sync_ = false;
    }
    host_->report_error(reason, why);
  }

  // A request or a watch failed (after the control plane key's retries, for a request).
  void failed(const std::string& reason, const std::string& why) {
    {
      const detail::MutexLock lock(mutex_);
      status_.last_fetch = clock_->wall_now();
      ++status_.failures;
      status_.last_error = reason + ": " + why;
    }
    host_->report_error(reason, why);
  }

  void counted_fetch() {
    const detail::MutexLock lock(mutex_);
    ++status_.fetches;
  }

  void fetched() {
    const detail::MutexLock lock(mutex_);
    status_.last_fetch = clock_->wall_now();
  }

  void set_watching(bool watching) {
    const detail::MutexLock lock(mutex_);
    if (watching_ && !watching && in_sync_) status_.last_good = clock_->wall_now();  // confirmed until now
    watching_ = watching;
    // Connected again: a transport error is over; a refused or deleted document is not.
    if (watching && in_sync_) status_.last_error.clear();
  }

  const std::string& endpoint() const { return settings_.endpoints[endpoint_index_]; }
  std::string target() const { return endpoint() + " " + what_; }

  void next_endpoint() {
    if (settings_.endpoints.size() < 2) return;
    endpoint_index_ = (endpoint_index_ + 1) % settings_.endpoints.size();
    const detail::MutexLock lock(mutex_);
    status_.target = target();
  }

  // What an answer may hold at once: the document base64-encoded (4/3) in JSON, with room for
  // a batch of events or many small keys.
  std::size_t answer_limit() const { return settings_.max_document_bytes * 2 + (1u << 20); }

  milliseconds time_left(const Attempt& attempt) const {
    if (attempt.deadline == TimePoint::max()) return settings_.timeout;
    const auto left = std::chrono::duration_cast<milliseconds>(attempt.deadline - clock_->now());
    return std::clamp(left, milliseconds(1), settings_.timeout);
  }

  void log(LogLevel level, const std::string& message) const {
    if (logger_ != nullptr) logger_->log(level, "provider etcd: " + message);
  }

  const Settings settings_;
  Clock* const clock_;
  RandomSource* const random_;
  Logger* const logger_;
  const std::string what_;   // "key /recourse/checkout", "prefix /recourse/checkout/"
  const std::string label_;  // the documents' label: "etcd:/recourse/checkout"
  std::optional<PolicyDocument> saved_;
  PolicyFeedHost* host_ = nullptr;

  // The feed's thread only.
  std::size_t endpoint_index_ = 0;
  std::int64_t revision_ = 0;  // the last revision seen: the watch resumes after it
  std::string cluster_id_;
  PrefixValues values_;          // what etcd holds under the key or prefix, as of revision_
  std::optional<std::string> offered_content_;  // what the document in force was made of, if from etcd

  mutable detail::Mutex mutex_;
  std::condition_variable first_read_;
  bool first_read_done_ RECOURSE_GUARDED_BY(mutex_) = false;
  bool watching_ RECOURSE_GUARDED_BY(mutex_) = false;
  bool in_sync_ RECOURSE_GUARDED_BY(mutex_) = false;  // the document in force is etcd's latest
  FeedStatus status_ RECOURSE_GUARDED_BY(mutex_);
  std::jthread thread_;  // last: joined before the members it uses go
};

}  // namespace recourse::plugins::etcd_provider

RECOURSE_DECLARE_PLUGIN("etcd_provider", "1.0.0",
                        recourse::provider_component<recourse::plugins::etcd_provider::EtcdProvider>("etcd"))
