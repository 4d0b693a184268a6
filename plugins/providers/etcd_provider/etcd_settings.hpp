// The `etcd` provider's [provider] table, read field by field with every error kept
// (support::ConfigReader): unknown fields are errors, each message names its field.
#pragma once

#include "etcd_gateway.hpp"
#include "http_stream.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

import recourse.plugin;

namespace recourse::plugins::etcd_provider {

struct Settings {
  std::vector<std::string> endpoints;  // "http://host:port", no trailing slash; tried in turn
  KeyRange range;
  bool prefix = false;  // range is every key under a prefix, not one key
  TransportSettings transport;
  std::chrono::milliseconds timeout{5000};  // a range, and a watch until etcd says it is created
  std::size_t max_document_bytes = 4u << 20;
  Duration reconnect_backoff = std::chrono::milliseconds(200);
  Duration max_reconnect_backoff = std::chrono::seconds(10);
  std::filesystem::path cache_file;
  Duration initial_wait = std::chrono::seconds(2);
};

// Throws ConfigException with every problem of the table.
Settings parse_settings(const ConfigView& config);

}  // namespace recourse::plugins::etcd_provider
