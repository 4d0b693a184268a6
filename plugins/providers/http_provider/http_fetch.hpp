// One conditional GET with libcurl, bounded in every dimension: connect and total time, body
// size, the caller's stop token. What the `http` provider's attempts are made of.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <stop_token>
#include <string>

namespace recourse::plugins::http_provider {

struct FetchSettings {
  std::string url;
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds timeout{5000};  // the whole transfer
  std::size_t max_bytes = 4u << 20;
  bool verify_tls = true;
  std::string ca_file;  // empty: the system's CA store
};

struct FetchRequest {
  std::string if_none_match;      // the ETag of the document in force
  std::string if_modified_since;  // its Last-Modified
  std::string bearer_token;       // empty: no Authorization header
  std::chrono::milliseconds time_left = std::chrono::milliseconds::max();  // the attempt's deadline
  std::stop_token stop;
};

struct FetchResponse {
  long status = 0;
  std::string body;
  std::string etag;
  std::string last_modified;
};

// Why a fetch brought no response: a reason code (timeout, connect_failed, dns_failed,
// tls_error, too_large, connection_reset, cancelled, transport_error) and what curl said.
struct FetchFailure {
  std::string reason;
  std::string detail;
};

// Any HTTP status is a response (the caller judges it); only a transfer that failed is a
// FetchFailure. Thread-safe: each call has its own easy handle.
std::expected<FetchResponse, FetchFailure> fetch(const FetchSettings& settings, const FetchRequest& request);

}  // namespace recourse::plugins::http_provider
