// etcd v3's JSON gateway (grpc-gateway in front of the gRPC API, served by etcd 3.4 at /v3/…),
// as the `etcd` provider speaks it: the request bodies for a range and a watch, and what the
// answers mean. Keys and values travel base64-encoded, int64 fields as decimal strings, and a
// watch answers with newline-delimited messages {"result": {…}}. Pure: no I/O, so every rule of
// the protocol is in one place.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recourse::plugins::etcd_provider {

// What is watched: one key (range_end empty) or every key under a prefix.
struct KeyRange {
  std::string key;
  std::string range_end;  // empty: exactly `key`; else the first key after the prefix
};
KeyRange exact_key(std::string key);
KeyRange under_prefix(std::string prefix);

struct Header {
  std::string cluster_id;
  std::int64_t revision = 0;  // the store's revision when etcd answered (0 when it did not say)
};

struct KeyValue {
  std::string key;
  std::string value;  // empty for a deleted key
  std::int64_t mod_revision = 0;
  bool deleted = false;  // a watch's DELETE event
};

struct RangeAnswer {
  Header header;
  std::vector<KeyValue> kvs;  // in key order
};

// One message of a watch stream.
struct WatchMessage {
  Header header;
  bool created = false;
  bool canceled = false;
  std::int64_t compact_revision = 0;  // with canceled: the start revision was compacted away
  std::string cancel_reason;
  std::vector<KeyValue> events;  // in revision order
};

// Why an answer is not what the protocol says: a reason code (`grpc_<code>` for an error etcd
// sent, `invalid_response` for anything unreadable) and a detail to show.
struct ProtocolError {
  std::string reason;
  std::string detail;
};

std::string range_request(const KeyRange& range);
// A watch of `range` from `start_revision` on (0: from now), with progress notifications.
std::string watch_request(const KeyRange& range, std::int64_t start_revision);

// An answer's body: a range's, or one line of a watch stream. Either may be the gateway's
// error object ({"error": …, "code": N}), which comes back as a ProtocolError.
std::expected<RangeAnswer, ProtocolError> parse_range_answer(std::string_view body);
std::expected<WatchMessage, ProtocolError> parse_watch_message(std::string_view line);

// The gateway's error object in a non-200 answer, as a reason code and detail; nullopt when the
// body is not one.
std::optional<ProtocolError> parse_error_answer(std::string_view body);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace recourse::plugins::etcd_provider
