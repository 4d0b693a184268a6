// The `http` provider's per-key mode: `GET {base_url}/{key}` on a key's first use, answered to
// the host one key at a time (PolicyFeedHost::offer_key). One request per key however many
// callers ask at once; a key's first callers wait up to first_wait for it. Each answer is
// fetched again when it expires (found_ttl for a policy, missing_ttl for a 404 or a failure)
// while the one in force goes on serving (stale-while-revalidate), conditionally (If-None-
// Match: an unchanged policy is a 304). A failed fetch or a refused body keeps the key's last
// good answer and is reported (provider_error).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http_settings.hpp"

import recourse.plugin;

namespace recourse::plugins::http_provider {

class KeyFeed {
 public:
  // `status` (under `status_mutex`) is the provider's, counted here too.
  KeyFeed(const Settings& settings, Clock& clock, Logger* logger, FeedStatus& status, std::mutex& status_mutex);
  ~KeyFeed();

  void start(PolicyFeedHost& host);
  void stop() noexcept;
  void request(std::string_view key, bool wait) noexcept;

 private:
  struct Key {
    std::string etag;           // of the answer in force
    bool queued = false;        // waiting for a fetcher, or being fetched
    std::uint64_t fetched = 0;  // fetches finished, however they ended
  };

  void fetch_keys(const std::stop_token& stop);
  void schedule_refreshes(const std::stop_token& stop);
  void fetch(const std::string& key, const std::string& etag, const std::stop_token& stop);
  // The key's fetch finished: fetched again at now + ttl. Under mutex_.
  void finished(const std::string& key, Duration ttl, const std::string* etag);
  std::string url_of(std::string_view key) const;

  const Settings& settings_;
  Clock& clock_;
  Logger* const logger_;
  FeedStatus& status_;
  std::mutex& status_mutex_;
  PolicyFeedHost* host_ = nullptr;

  std::mutex mutex_;
  std::condition_variable_any changed_;  // a key queued, a fetch finished
  std::map<std::string, Key, std::less<>> keys_;
  // Keys to fetch: first fetches before refreshes, so a new key's first callers never wait
  // behind the refresh of keys that already have an answer.
  std::deque<std::string> first_;
  std::deque<std::string> refresh_;
  std::multimap<TimePoint, std::string> due_;  // each fetched key once, by when it is due again
  bool stopping_ = false;
  bool full_logged_ = false;
  TimePoint next_wake_ = TimePoint::max();  // what the scheduler sleeps until
  std::stop_source wake_scheduler_;         // to wake it for an earlier refresh
  std::vector<std::jthread> threads_;       // last: joined before the members they use go
};

}  // namespace recourse::plugins::http_provider
