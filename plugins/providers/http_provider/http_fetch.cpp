// http_fetch.hpp: a libcurl easy handle per fetch. No signals (CURLOPT_NOSIGNAL: the process
// has other threads), HTTP and HTTPS only, at most three redirects, the body capped while it
// arrives (a 50 MiB answer is cut at the limit, not buffered), the transfer aborted from the
// progress callback as soon as the stop token is set.
#include "http_fetch.hpp"

#include <curl/curl.h>

#include "feed_support/curl_reason.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace recourse::plugins::http_provider {
namespace {

struct Transfer {
  const FetchSettings& settings;
  const FetchRequest& request;
  FetchResponse response;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (transfer.response.body.size() + bytes > transfer.settings.max_bytes) {
    transfer.too_large = true;
    return 0;  // CURLE_WRITE_ERROR: the transfer stops here
  }
  transfer.response.body.append(data, bytes);
  return bytes;
}

std::string trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

bool header_is(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  return std::ranges::equal(line.substr(0, name.size()), name, [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  // A redirect's headers come first: each new status line starts the response over.
  if (line.starts_with("HTTP/")) {
    transfer.response.etag.clear();
    transfer.response.last_modified.clear();
  } else if (header_is(line, "ETag")) {
    transfer.response.etag = trimmed(line.substr(5));
  } else if (header_is(line, "Last-Modified")) {
    transfer.response.last_modified = trimmed(line.substr(14));
  }
  return size * count;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Transfer*>(user)->request.stop.stop_requested() ? 1 : 0;
}

struct EasyDeleter {
  void operator()(CURL* easy) const noexcept { curl_easy_cleanup(easy); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};

}  // namespace

std::expected<FetchResponse, FetchFailure> fetch(const FetchSettings& settings, const FetchRequest& request) {
  static std::once_flag initialized;
  std::call_once(initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  const std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  if (!easy) return std::unexpected(FetchFailure{"transport_error", "curl_easy_init failed"});
  Transfer transfer{settings, request, {}, false};
  curl_slist* headers = nullptr;
  if (!request.if_none_match.empty())
    headers = curl_slist_append(headers, ("If-None-Match: " + request.if_none_match).c_str());
  if (!request.if_modified_since.empty())
    headers = curl_slist_append(headers, ("If-Modified-Since: " + request.if_modified_since).c_str());
  if (!request.bearer_token.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + request.bearer_token).c_str());
  headers = curl_slist_append(headers, "Accept: application/toml, text/plain;q=0.9, */*;q=0.1");
  const std::unique_ptr<curl_slist, ListDeleter> header_list(headers);

  const auto total = std::max<std::int64_t>(1, std::min(settings.timeout, request.time_left).count());
  CURL* e = easy.get();
  curl_easy_setopt(e, CURLOPT_URL, settings.url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<std::int64_t>(total, settings.connect_timeout.count())));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(total));
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(settings.max_bytes));
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, settings.verify_tls ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, settings.verify_tls ? 2L : 0L);
  if (!settings.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, settings.ca_file.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(e, CURLOPT_USERAGENT, "recourse-http-provider/1.0");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(e, CURLOPT_XFERINFODATA, &transfer);
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);

  const CURLcode code = curl_easy_perform(e);
  if (code != CURLE_OK) {
    std::string detail = error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(code));
    if (transfer.too_large)
      detail = "the document is larger than max_document_bytes (" + std::to_string(settings.max_bytes) + ")";
    return std::unexpected(
        FetchFailure{transfer.too_large ? std::string("too_large") : curl_failure_reason(code),
                     "GET " + settings.url + ": " + detail + " (curl " + std::to_string(code) + ")"});
  }
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  return std::move(transfer.response);
}

}  // namespace recourse::plugins::http_provider
