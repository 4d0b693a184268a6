// The `http` provider's settings (http_settings.hpp).
#include "http_settings.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <utility>
#include <string>
#include <string_view>

import recourse.support.config;

namespace recourse::plugins::http_provider {
namespace {

std::chrono::milliseconds to_ms(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); }

bool is_http_url(const std::string& url) { return url.starts_with("http://") || url.starts_with("https://"); }

}  // namespace

Settings parse_settings(const ConfigView& config) {
  static constexpr std::string_view known[]{"plugin",       "url",
                                            "base_url",     "interval",
                                            "jitter",       "connect_timeout",
                                            "timeout",      "max_document_bytes",
                                            "verify_tls",   "ca_file",
                                            "token_env",    "token_file",
                                            "token",        "cache_file",
                                            "initial_wait", "found_ttl",
                                            "missing_ttl",  "first_wait",
                                            "max_keys",     "fetchers"};
  support::ConfigReader in(config, known);
  Settings s;
  using namespace std::chrono_literals;
  const std::optional<std::string> url = in.string("url");
  const std::optional<std::string> base_url = in.string("base_url");
  if (url && base_url) in.fail("base_url", "give either url (one document) or base_url (a policy per key), not both");
  else if (!url && !base_url)
    in.fail("url",
            "missing required field \"url\" (the policy document's http:// or https:// URL; or base_url, "
            "fetched as {base_url}/{key} for each key)");
  for (const auto& [field, value] : {std::pair{"url", url}, std::pair{"base_url", base_url}})
    if (value && !is_http_url(*value)) in.fail(field, "expected an http:// or https:// URL, got \"" + *value + "\"");
  if (url) s.fetch.url = *url;
  if (base_url) {
    s.keys.base_url = *base_url;
    while (s.keys.base_url.ends_with('/')) s.keys.base_url.pop_back();
  }
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
  if (base_url && !s.cache_file.empty())
    in.fail("cache_file", "the per-key mode (base_url) keeps no saved copy: its keys are fetched on first use");
  s.initial_wait = in.duration("initial_wait", 0s, 300s).value_or(2s);
  s.keys.found_ttl = in.duration("found_ttl", 10ms, std::chrono::hours(24)).value_or(60s);
  s.keys.missing_ttl = in.duration("missing_ttl", 10ms, std::chrono::hours(24)).value_or(10s);
  s.keys.first_wait = in.duration("first_wait", 0s, 60s).value_or(250ms);
  s.keys.max_keys = static_cast<std::size_t>(in.integer("max_keys", 1, 10'000'000).value_or(1000));
  s.keys.fetchers = static_cast<std::size_t>(in.integer("fetchers", 1, 64).value_or(2));
  in.finish();
  return s;
}

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

}  // namespace recourse::plugins::http_provider
