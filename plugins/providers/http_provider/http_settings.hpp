// The `http` provider's [provider] table: a document URL (`url`, polled) or a per-key base URL
// (`base_url`, each key fetched on its first use), the request bounds, TLS, the bearer token,
// the saved copy, and the per-key mode's TTLs and first wait.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>

#include "http_fetch.hpp"

import recourse.plugin;

namespace recourse::plugins::http_provider {

struct KeyModeSettings {
  std::string base_url;  // empty: document mode
  Duration found_ttl = std::chrono::seconds(60);    // a found key's policy is fetched again after this
  Duration missing_ttl = std::chrono::seconds(10);  // a 404, or a fetch that failed, after this
  Duration first_wait = std::chrono::milliseconds(250);  // a key's first callers wait this, at most
  std::size_t max_keys = 1000;   // keys past this are not fetched: they run on the local policies
  std::size_t fetchers = 2;      // requests in flight at once
};

struct Settings {
  FetchSettings fetch;  // fetch.url: the document's URL (document mode)
  KeyModeSettings keys;
  Duration interval = std::chrono::seconds(30);
  double jitter = 0.2;
  std::string token_env;
  std::filesystem::path token_file;
  std::string inline_token;
  std::filesystem::path cache_file;
  Duration initial_wait = std::chrono::seconds(2);

  bool per_key() const noexcept { return !keys.base_url.empty(); }
};

// Every problem in the table is a ConfigError (ConfigReader::finish throws them all).
Settings parse_settings(const ConfigView& config);

// The bearer token, read for every request: a rotated secret file or variable is picked up.
std::string bearer_token(const Settings& settings);

}  // namespace recourse::plugins::http_provider
