// etcd_settings.hpp. Paths (cache_file, ca_file, cert_file, key_file) are relative to the
// config file, as everywhere in recourse.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "etcd_settings.hpp"  // last: it imports recourse.plugin

import recourse.plugin;
import recourse.support.config;

namespace recourse::plugins::etcd_provider {
namespace {

using std::chrono::milliseconds;

milliseconds to_ms(Duration d) { return std::chrono::duration_cast<milliseconds>(d); }

}  // namespace

Settings parse_settings(const ConfigView& config) {
  static constexpr std::string_view known[]{"plugin",
                                            "endpoints",
                                            "key",
                                            "prefix",
                                            "connect_timeout",
                                            "timeout",
                                            "max_document_bytes",
                                            "reconnect_backoff",
                                            "max_reconnect_backoff",
                                            "verify_tls",
                                            "ca_file",
                                            "cert_file",
                                            "key_file",
                                            "cache_file",
                                            "initial_wait"};
  support::ConfigReader in(config, known);
  Settings s;
  if (auto endpoints =
          in.strings("endpoints", support::required("etcd's client URLs, e.g. [\"http://127.0.0.1:2379\"]"))) {
    if (endpoints->empty()) in.fail("endpoints", "give at least one etcd client URL");
    for (std::string& endpoint : *endpoints) {
      if (!endpoint.starts_with("http://") && !endpoint.starts_with("https://")) {
        in.fail("endpoints", "expected http:// or https:// URLs, got \"" + endpoint + "\"");
        continue;
      }
      while (endpoint.ends_with('/')) endpoint.pop_back();
      s.endpoints.push_back(std::move(endpoint));
    }
  }
  const auto key = in.string("key");
  const auto prefix = in.string("prefix");
  if (key.has_value() == prefix.has_value()) {
    in.fail(key ? "prefix" : "key",
            key ? "give key or prefix, not both"
                : "missing field \"key\" (the etcd key holding the policy document) or \"prefix\" (the keys under it, "
                  "combined)");
  } else if (key) {
    if (key->empty()) in.fail("key", "must not be empty");
    s.range = exact_key(*key);
  } else {
    if (prefix->empty()) in.fail("prefix", "must not be empty (a prefix of \"\" would watch every key in etcd)");
    s.range = under_prefix(*prefix);
    s.prefix = true;
  }
  using namespace std::chrono_literals;
  s.transport.connect_timeout = to_ms(in.duration("connect_timeout", 1ms, 60s).value_or(1s));
  s.timeout = to_ms(in.duration("timeout", 1ms, 300s).value_or(5s));
  s.max_document_bytes =
      static_cast<std::size_t>(in.integer("max_document_bytes", 1, std::int64_t{1} << 30).value_or(4 << 20));
  s.reconnect_backoff = in.duration("reconnect_backoff", 1ms, 60s).value_or(200ms);
  s.max_reconnect_backoff = in.duration("max_reconnect_backoff", 1ms, 3600s).value_or(10s);
  if (s.max_reconnect_backoff < s.reconnect_backoff)
    in.fail("max_reconnect_backoff", "must not be shorter than reconnect_backoff");
  s.transport.verify_tls = in.boolean("verify_tls").value_or(true);
  if (auto file = in.path("ca_file")) s.transport.ca_file = file->string();
  if (auto file = in.path("cert_file")) s.transport.cert_file = file->string();
  if (auto file = in.path("key_file")) s.transport.key_file = file->string();
  if (s.transport.cert_file.empty() != s.transport.key_file.empty())
    in.fail(s.transport.cert_file.empty() ? "key_file" : "cert_file",
            "a client certificate needs both cert_file and key_file");
  s.cache_file = in.path("cache_file").value_or("");
  s.initial_wait = in.duration("initial_wait", 0s, 300s).value_or(2s);
  in.finish();
  return s;
}

}  // namespace recourse::plugins::etcd_provider
