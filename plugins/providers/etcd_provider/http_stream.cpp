// http_stream.hpp: an easy handle on a multi handle of its own. No signals (CURLOPT_NOSIGNAL:
// the process has other threads), HTTP and HTTPS only, no redirects (an etcd endpoint answers
// itself), TCP keepalive so a watch over a connection that silently died (a partition, a
// dropped NAT entry) ends within about a minute instead of never.
#include "http_stream.hpp"

#include "feed_support/curl_reason.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <string>
#include <utility>

namespace recourse::plugins::etcd_provider {

using Steady = std::chrono::steady_clock;

struct HttpStream::Transfer {
  std::string url;
  std::string body;
  std::size_t max_bytes = 0;
  CURLM* multi = nullptr;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  bool started = false;
  bool done = false;
  CURLcode result = CURLE_OK;
  bool too_large = false;
  std::string pending;  // received, not yet handed out
  char error[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (started) curl_multi_remove_handle(multi, easy);
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (multi != nullptr) curl_multi_cleanup(multi);
    curl_slist_free_all(headers);
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    if (transfer.pending.size() + bytes > transfer.max_bytes) {
      transfer.too_large = true;
      return 0;  // CURLE_WRITE_ERROR: the transfer stops here
    }
    transfer.pending.append(data, bytes);
    return bytes;
  }

  TransferFailure failure(std::string reason, std::string detail) const {
    return TransferFailure{std::move(reason), "POST " + url + ": " + std::move(detail)};
  }

  TransferFailure failed_transfer() const {
    if (too_large)
      return failure("too_large", "the answer is larger than max_document_bytes allows (" + std::to_string(max_bytes) +
                                      " bytes held at once)");
    const std::string said = error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(result));
    return failure(curl_failure_reason(result), said + " (curl " + std::to_string(result) + ")");
  }

  // Runs the transfer until `ready()` holds or it ends; a failure when the time is up or `stop`
  // is requested first. curl_multi_poll waits at most until curl's own next timeout, so curl's
  // connect timeout is kept without a busy loop.
  template <class Ready>
  std::optional<TransferFailure> run_until(Ready ready, std::chrono::milliseconds time_limit,
                                           const std::stop_token& stop) {
    if (!started) {
      if (curl_multi_add_handle(multi, easy) != CURLM_OK) return failure("transport_error", "curl_multi_add_handle");
      started = true;
    }
    const Steady::time_point deadline =
        time_limit >= std::chrono::milliseconds::max() / 2 ? Steady::time_point::max() : Steady::now() + time_limit;
    const std::stop_callback wake(stop, [this] { curl_multi_wakeup(multi); });
    while (!ready() && !done) {
      if (stop.stop_requested()) return failure("cancelled", "stopped");
      const Steady::time_point now = Steady::now();
      if (now >= deadline) return failure("timeout", "no answer in " + std::to_string(time_limit.count()) + "ms");
      int running = 0;
      if (curl_multi_perform(multi, &running) != CURLM_OK) return failure("transport_error", "curl_multi_perform");
      int left = 0;
      while (CURLMsg* message = curl_multi_info_read(multi, &left))
        if (message->msg == CURLMSG_DONE) {
          done = true;
          result = message->data.result;
        }
      if (ready() || done) break;
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      curl_multi_poll(multi, nullptr, 0, static_cast<int>(std::clamp<std::int64_t>(wait.count(), 1, 1000)), nullptr);
    }
    return std::nullopt;
  }
};

HttpStream::HttpStream(const TransportSettings& settings, std::string url, std::string body, std::size_t max_bytes)
    : transfer_(std::make_unique<Transfer>()) {
  static std::once_flag initialized;
  std::call_once(initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  Transfer& t = *transfer_;
  t.url = std::move(url);
  t.body = std::move(body);
  t.max_bytes = max_bytes;
  t.multi = curl_multi_init();
  t.easy = curl_easy_init();
  if (t.multi == nullptr || t.easy == nullptr) return;  // the first read reports it
  t.headers = curl_slist_append(nullptr, "Content-Type: application/json");
  CURL* e = t.easy;
  curl_easy_setopt(e, CURLOPT_URL, t.url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.body.c_str());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.body.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings.connect_timeout.count()));
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 10L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 5L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, settings.verify_tls ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, settings.verify_tls ? 2L : 0L);
  if (!settings.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, settings.ca_file.c_str());
  if (!settings.cert_file.empty()) curl_easy_setopt(e, CURLOPT_SSLCERT, settings.cert_file.c_str());
  if (!settings.key_file.empty()) curl_easy_setopt(e, CURLOPT_SSLKEY, settings.key_file.c_str());
  curl_easy_setopt(e, CURLOPT_USERAGENT, "recourse-etcd-provider/1.0");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error);
}

HttpStream::~HttpStream() = default;

std::expected<HttpStream::Answer, TransferFailure> HttpStream::read_all(std::chrono::milliseconds time_limit,
                                                                        const std::stop_token& stop) {
  Transfer& t = *transfer_;
  if (t.easy == nullptr || t.multi == nullptr) return std::unexpected(t.failure("transport_error", "curl init failed"));
  if (auto failure = t.run_until([] { return false; }, time_limit, stop)) return std::unexpected(std::move(*failure));
  if (t.result != CURLE_OK) return std::unexpected(t.failed_transfer());
  return Answer{status(), std::exchange(t.pending, {})};
}

std::expected<std::optional<std::string>, TransferFailure> HttpStream::next_line(std::chrono::milliseconds time_limit,
                                                                                 const std::stop_token& stop) {
  Transfer& t = *transfer_;
  if (t.easy == nullptr || t.multi == nullptr) return std::unexpected(t.failure("transport_error", "curl init failed"));
  const auto has_line = [&t] { return t.pending.find('\n') != std::string::npos; };
  if (auto failure = t.run_until(has_line, time_limit, stop)) return std::unexpected(std::move(*failure));
  if (const auto end = t.pending.find('\n'); end != std::string::npos) {
    std::string line = t.pending.substr(0, end);
    t.pending.erase(0, end + 1);
    return line;
  }
  if (t.result != CURLE_OK) return std::unexpected(t.failed_transfer());
  if (!t.pending.empty()) return std::exchange(t.pending, {});  // the last line, without its newline
  return std::nullopt;
}

long HttpStream::status() const {
  long status = 0;
  if (transfer_->easy != nullptr) curl_easy_getinfo(transfer_->easy, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

}  // namespace recourse::plugins::etcd_provider
