// The reason code of a libcurl transfer that failed, as the feed providers report it
// (`provider_error <reason>`, the reason codes of a recourse.control_plane attempt): one
// mapping, so an etcd watch and an HTTP poll that fail the same way say the same thing.
#pragma once

#include <string>

namespace recourse::plugins {

// `code` is a CURLcode (an int here, so this header needs no curl header): timeout,
// connect_failed, dns_failed, tls_error, too_large, cancelled, connection_reset or
// transport_error.
std::string curl_failure_reason(int code);

}  // namespace recourse::plugins
