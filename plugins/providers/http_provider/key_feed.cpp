// key_feed.hpp: the per-key mode's fetchers, its refresh schedule and the first callers' wait.
#include "key_feed.hpp"

#include "control_plane_get.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace recourse::plugins::http_provider {
namespace {

// A key is one path segment: everything but RFC 3986's unreserved characters is %XX ('/' too).
std::string percent_encoded(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", u);
      out += hex;
    }
  }
  return out;
}

}  // namespace

KeyFeed::KeyFeed(const Settings& settings, Clock& clock, Logger* logger, FeedStatus& status, std::mutex& status_mutex)
    : settings_(settings), clock_(clock), logger_(logger), status_(status), status_mutex_(status_mutex) {}

KeyFeed::~KeyFeed() { stop(); }

std::string KeyFeed::url_of(std::string_view key) const { return settings_.keys.base_url + "/" + percent_encoded(key); }

void KeyFeed::start(PolicyFeedHost& host) {
  host_ = &host;
  for (std::size_t i = 0; i < settings_.keys.fetchers; ++i)
    threads_.emplace_back([this](std::stop_token stop) { fetch_keys(stop); });
  threads_.emplace_back([this](std::stop_token stop) { schedule_refreshes(stop); });
}

void KeyFeed::stop() noexcept {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_scheduler_.request_stop();
  }
  changed_.notify_all();
  for (std::jthread& t : threads_) t.request_stop();
  threads_.clear();  // joins
}

void KeyFeed::request(std::string_view key, bool wait) noexcept {
  try {
    std::unique_lock lock(mutex_);
    auto it = keys_.find(key);
    if (it == keys_.end()) {
      if (stopping_) return;
      if (keys_.size() >= settings_.keys.max_keys) {
        if (!std::exchange(full_logged_, true) && logger_ != nullptr)
          logger_->log(LogLevel::warn, "provider http: " + std::to_string(settings_.keys.max_keys) +
                                           " keys fetched (max_keys); further keys run on the local policies");
        return;
      }
      it = keys_.emplace(std::string(key), Key{.queued = true}).first;
      first_.push_back(it->first);
      changed_.notify_all();
    }
    if (!wait) return;
    // Only a key's first fetch is waited for: after it, the key has its answer (or its failure
    // was reported) and later fetches refresh it in the background.
    const auto until = std::chrono::steady_clock::now() + settings_.keys.first_wait;
    changed_.wait_until(lock, until, [&] { return it->second.fetched > 0 || stopping_; });
  } catch (...) {
    // Out of memory: the key runs on the local policies.
  }
}

void KeyFeed::fetch_keys(const std::stop_token& stop) {
  while (true) {
    std::string key;
    std::string etag;
    {
      std::unique_lock lock(mutex_);
      if (!changed_.wait(lock, stop, [&] { return !first_.empty() || !refresh_.empty(); })) return;
      std::deque<std::string>& next = !first_.empty() ? first_ : refresh_;
      key = std::move(next.front());
      next.pop_front();
      etag = keys_.find(key)->second.etag;
    }
    fetch(key, etag, stop);
  }
}

void KeyFeed::fetch(const std::string& key, const std::string& etag, const std::stop_token& stop) {
  FetchSettings settings = settings_.fetch;
  settings.url = url_of(key);
  const auto count_request = [&] {
    const std::lock_guard lock(status_mutex_);
    ++status_.fetches;
  };
  auto got = get_through_host(*host_, clock_, settings,
                              FetchRequest{.if_none_match = etag, .bearer_token = bearer_token(settings_)},
                              {200, 304, 404}, stop, count_request);
  const WallTime now = clock_.wall_now();
  if (!got) {
    if (!stop.stop_requested()) {
      {
        const std::lock_guard lock(status_mutex_);
        status_.last_fetch = now;
        ++status_.failures;
        status_.last_error = got.error().reason + ": " + got.error().detail;
      }
      host_->report_error(got.error().reason, got.error().detail);
    }
    const std::lock_guard lock(mutex_);
    finished(key, settings_.keys.missing_ttl, nullptr);
    return;
  }
  std::vector<std::string> refused;
  if (got->status == 404) {
    refused = host_->offer_key(KeyPolicy{key, std::nullopt, settings.url, {}});
  } else if (got->status == 200) {
    refused = host_->offer_key(KeyPolicy{key, got->body, settings.url, got->etag});
  }
  {
    const std::lock_guard lock(status_mutex_);
    status_.last_fetch = now;
    if (got->status == 304) ++status_.unchanged;
    if (!refused.empty()) {
      ++status_.refused;
      status_.last_error = "invalid_document: " + refused.front();
    } else {
      status_.last_good = now;
      status_.last_error.clear();
    }
  }
  const std::lock_guard lock(mutex_);
  // A refused body is asked for again as soon as a failure is: the fix may be on its way.
  const std::string none;
  const bool found = got->status != 404;
  const bool good = refused.empty();
  const std::string* kept_etag = !good || got->status == 304 ? nullptr : found ? &got->etag : &none;
  finished(key, found && good ? settings_.keys.found_ttl : settings_.keys.missing_ttl, kept_etag);
}

void KeyFeed::finished(const std::string& key, Duration ttl, const std::string* etag) {
  Key& entry = keys_.find(key)->second;
  entry.queued = false;
  ++entry.fetched;
  if (etag != nullptr) entry.etag = *etag;
  const TimePoint due = clock_.now() + ttl;
  due_.emplace(due, key);
  if (due < next_wake_) {
    next_wake_ = due;
    wake_scheduler_.request_stop();
  }
  changed_.notify_all();
}

void KeyFeed::schedule_refreshes(const std::stop_token& stop) {
  using namespace std::chrono_literals;
  while (!stop.stop_requested()) {
    std::stop_source wake;
    TimePoint next;
    {
      const std::lock_guard lock(mutex_);
      const TimePoint now = clock_.now();
      while (!due_.empty() && due_.begin()->first <= now) {
        Key& entry = keys_.find(due_.begin()->second)->second;
        entry.queued = true;
        refresh_.push_back(std::move(due_.begin()->second));
        due_.erase(due_.begin());
      }
      if (!refresh_.empty()) changed_.notify_all();
      next = due_.empty() ? now + std::chrono::hours(1) : due_.begin()->first;
      next_wake_ = next;
      wake_scheduler_ = wake;
    }
    const std::stop_callback link(stop, [&] { wake.request_stop(); });
    clock_.sleep_until(next, wake.get_token());
  }
}

}  // namespace recourse::plugins::http_provider
