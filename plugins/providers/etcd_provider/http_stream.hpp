// One HTTP POST to etcd's gateway with libcurl, read as it arrives: the whole body (a range) or
// line by line (a watch, which lasts as long as the connection). Bounded: connect time, the
// caller's time limit for each read, the bytes it may hold. Prompt to stop: the transfer runs on
// a curl multi handle that waits in curl_multi_poll, and a stop request wakes it
// (curl_multi_wakeup) — a stop takes effect in microseconds, not at curl's next progress
// callback (about once a second on an idle stream).
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

namespace recourse::plugins::etcd_provider {

struct TransportSettings {
  std::chrono::milliseconds connect_timeout{1000};
  bool verify_tls = true;
  std::string ca_file;    // empty: the system's CA store
  std::string cert_file;  // a client certificate (etcd's --client-cert-auth), with key_file
  std::string key_file;
};

// Why a read brought nothing: a reason code (timeout, connect_failed, dns_failed, tls_error,
// too_large, connection_reset, cancelled, transport_error) and what curl said.
struct TransferFailure {
  std::string reason;
  std::string detail;
};

class HttpStream {
 public:
  // Starts nothing yet: the request is sent by the first read. `max_bytes` bounds what is held
  // at once: the whole body for read_all, one line for next_line.
  HttpStream(const TransportSettings& settings, std::string url, std::string body, std::size_t max_bytes);
  ~HttpStream();
  HttpStream(const HttpStream&) = delete;
  HttpStream& operator=(const HttpStream&) = delete;

  struct Answer {
    long status = 0;
    std::string body;
  };
  // Reads the whole answer, in at most `time_limit`.
  std::expected<Answer, TransferFailure> read_all(std::chrono::milliseconds time_limit, const std::stop_token& stop);

  // The next line of the answer (without its newline), nullopt when the answer ended cleanly
  // after the last one; waits at most `time_limit` for it. The HTTP status is known once the
  // first line has come (status()).
  std::expected<std::optional<std::string>, TransferFailure> next_line(std::chrono::milliseconds time_limit,
                                                                       const std::stop_token& stop);
  long status() const;

 private:
  struct Transfer;
  std::unique_ptr<Transfer> transfer_;
};

}  // namespace recourse::plugins::etcd_provider
