// Parsing gRPC server pushback: the `grpc-retry-pushback-ms` trailing metadata of gRFC A6.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace recourse::plugins {

// The delay the server asks for before the next retry, or nullopt for "do not retry": A6 says
// a negative value or one that is not an integer stops retries. Surrounding spaces and tabs are
// ignored; a value too large for milliseconds saturates (the executor caps it with
// max_retry_after anyway).
std::optional<std::chrono::milliseconds> parse_grpc_pushback(std::string_view value);

}  // namespace recourse::plugins
