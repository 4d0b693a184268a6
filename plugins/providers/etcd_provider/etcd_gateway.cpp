// etcd_gateway.hpp, on nlohmann-json. An answer is read strictly where it matters (a revision
// that does not parse is an invalid_response, not revision 0: resuming a watch from it would
// replay history) and leniently where etcd leaves fields out (an empty value, a zero revision,
// `events` absent are all omitted by the gateway's JSON encoding of protobuf defaults).
#include "etcd_gateway.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace recourse::plugins::etcd_provider {
namespace {

using nlohmann::json;

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// A malformed answer: what the provider reports as invalid_response.
struct Malformed {
  std::string what;
};

std::string_view grpc_code_name(std::int64_t code) {
  static constexpr std::array<std::string_view, 17> names{
      "ok",        "cancelled",      "unknown",           "invalid_argument",   "deadline_exceeded",
      "not_found", "already_exists", "permission_denied", "resource_exhausted", "failed_precondition",
      "aborted",   "out_of_range",   "unimplemented",     "internal",           "unavailable",
      "data_loss", "unauthenticated"};
  return code >= 0 && code < static_cast<std::int64_t>(names.size()) ? names[static_cast<std::size_t>(code)]
                                                                     : "unknown";
}

// An int64 as the gateway writes it: a decimal string (a bare number is taken too).
std::int64_t int64_field(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end()) return 0;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (!it->is_string()) throw Malformed{std::string(name) + " is not an integer"};
  const auto& text = it->get_ref<const std::string&>();
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size())
    throw Malformed{std::string(name) + " is not an integer: \"" + text + "\""};
  return value;
}

std::string bytes_field(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end()) return {};
  if (!it->is_string()) throw Malformed{std::string(name) + " is not a base64 string"};
  auto bytes = base64_decode(it->get_ref<const std::string&>());
  if (!bytes) throw Malformed{std::string(name) + " is not valid base64"};
  return std::move(*bytes);
}

Header header_of(const json& object) {
  Header header;
  const auto it = object.find("header");
  if (it == object.end() || !it->is_object()) return header;
  if (const auto id = it->find("cluster_id"); id != it->end() && id->is_string()) header.cluster_id = *id;
  header.revision = int64_field(*it, "revision");
  return header;
}

KeyValue key_value_of(const json& kv) {
  if (!kv.is_object()) throw Malformed{"a key-value is not an object"};
  return KeyValue{bytes_field(kv, "key"), bytes_field(kv, "value"), int64_field(kv, "mod_revision"), false};
}

std::optional<ProtocolError> error_object(const json& answer) {
  if (!answer.is_object() || !answer.contains("error")) return std::nullopt;
  const std::int64_t code = answer.value("code", std::int64_t{2});
  std::string message = answer.value("message", std::string());
  if (message.empty() && answer["error"].is_string()) message = answer["error"].get<std::string>();
  return ProtocolError{"grpc_" + std::string(grpc_code_name(code)), "etcd: " + message};
}

template <class Read>
auto parsed(std::string_view text, Read read) -> std::expected<decltype(read(json())), ProtocolError> {
  const json answer = json::parse(text, nullptr, false);
  if (answer.is_discarded() || !answer.is_object()) {
    const std::string shown(text.substr(0, 120));
    return std::unexpected(ProtocolError{"invalid_response", "not a JSON object: \"" + shown + "\""});
  }
  if (auto error = error_object(answer)) return std::unexpected(std::move(*error));
  try {
    return read(answer);
  } catch (const Malformed& e) {
    return std::unexpected(ProtocolError{"invalid_response", e.what});
  } catch (const json::exception& e) {
    return std::unexpected(ProtocolError{"invalid_response", e.what()});
  }
}

}  // namespace

KeyRange exact_key(std::string key) { return KeyRange{std::move(key), {}}; }

KeyRange under_prefix(std::string prefix) {
  // etcd's own rule (clientv3.GetPrefixRangeEnd): the prefix with its last byte that is not
  // 0xff incremented, the bytes after it dropped; "\0" (every key from `key` on) when none is.
  std::string end = prefix;
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return KeyRange{std::move(prefix), std::string(1, '\0')};
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return KeyRange{std::move(prefix), std::move(end)};
}

std::string range_request(const KeyRange& range) {
  json request{{"key", base64_encode(range.key)}};
  if (!range.range_end.empty()) request["range_end"] = base64_encode(range.range_end);
  return request.dump();
}

std::string watch_request(const KeyRange& range, std::int64_t start_revision) {
  json create{{"key", base64_encode(range.key)}, {"progress_notify", true}};
  if (!range.range_end.empty()) create["range_end"] = base64_encode(range.range_end);
  if (start_revision > 0) create["start_revision"] = std::to_string(start_revision);
  return json{{"create_request", std::move(create)}}.dump();
}

std::expected<RangeAnswer, ProtocolError> parse_range_answer(std::string_view body) {
  return parsed(body, [](const json& answer) {
    RangeAnswer range{header_of(answer), {}};
    if (range.header.revision <= 0) throw Malformed{"the answer has no header revision"};
    if (const auto kvs = answer.find("kvs"); kvs != answer.end()) {
      if (!kvs->is_array()) throw Malformed{"kvs is not an array"};
      for (const json& kv : *kvs) range.kvs.push_back(key_value_of(kv));
    }
    return range;
  });
}

std::expected<WatchMessage, ProtocolError> parse_watch_message(std::string_view line) {
  return parsed(line, [](const json& answer) {
    const auto result = answer.find("result");
    if (result == answer.end() || !result->is_object()) throw Malformed{"a watch message without \"result\""};
    WatchMessage message;
    message.header = header_of(*result);
    message.created = result->value("created", false);
    message.canceled = result->value("canceled", false);
    message.compact_revision = int64_field(*result, "compact_revision");
    message.cancel_reason = result->value("cancel_reason", std::string());
    if (const auto events = result->find("events"); events != result->end()) {
      if (!events->is_array()) throw Malformed{"events is not an array"};
      for (const json& event : *events) {
        if (!event.is_object() || !event.contains("kv")) throw Malformed{"an event without \"kv\""};
        KeyValue kv = key_value_of(event["kv"]);
        kv.deleted = event.value("type", std::string("PUT")) == "DELETE";
        if (kv.deleted) kv.value.clear();
        message.events.push_back(std::move(kv));
      }
    }
    return message;
  });
}

std::optional<ProtocolError> parse_error_answer(std::string_view body) {
  const json answer = json::parse(body, nullptr, false);
  return answer.is_discarded() ? std::nullopt : error_object(answer);
}

std::string base64_encode(std::string_view bytes) {
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                   static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) text += alphabet[(n >> shift) & 63];
  }
  if (i < bytes.size()) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    text += alphabet[(n >> 18) & 63];
    text += alphabet[(n >> 12) & 63];
    text += i + 1 < bytes.size() ? alphabet[(n >> 6) & 63] : '=';
    text += '=';
  }
  return text;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string bytes;
  bytes.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t n = 0;
    int padding = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        ++padding;
        n <<= 6;
        continue;
      }
      const auto at = alphabet.find(c);
      if (at == std::string_view::npos || padding > 0) return std::nullopt;
      n = n << 6 | static_cast<std::uint32_t>(at);
    }
    bytes += static_cast<char>((n >> 16) & 0xff);
    if (padding < 2) bytes += static_cast<char>((n >> 8) & 0xff);
    if (padding < 1) bytes += static_cast<char>(n & 0xff);
  }
  return bytes;
}

}  // namespace recourse::plugins::etcd_provider
