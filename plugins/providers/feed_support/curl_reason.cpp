// curl_reason.hpp. A write callback that refuses bytes (CURLE_WRITE_ERROR) is the caller's to
// name — too_large, usually — since only it knows why it refused them.
#include "curl_reason.hpp"

#include <curl/curl.h>

#include <string>

namespace recourse::plugins {

std::string curl_failure_reason(int code) {
  switch (static_cast<CURLcode>(code)) {
    case CURLE_OPERATION_TIMEDOUT: return "timeout";
    case CURLE_COULDNT_CONNECT: return "connect_failed";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return "dns_failed";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM: return "tls_error";
    case CURLE_FILESIZE_EXCEEDED: return "too_large";
    case CURLE_ABORTED_BY_CALLBACK: return "cancelled";
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE: return "connection_reset";
    default: return "transport_error";
  }
}

}  // namespace recourse::plugins
