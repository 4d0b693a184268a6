// A minimal JSON writer shared (header-only) by the jsonl and trace observers: no JSON library
// is available to plugins, and they only ever write. It appends to a std::string, handles the
// commas, and escapes strings per RFC 8259 — quotes, backslashes and every control character —
// replacing bytes that are not valid UTF-8 with U+FFFD so the output is always valid JSON
// whatever a caller put in a key.
//
// Not a plugin: this directory has no CMakeLists.txt, so plugins/CMakeLists.txt skips it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace recourse::plugins::json {

// The length of the valid UTF-8 sequence starting at s[i], or 0 when there is none (stray
// continuation byte, truncated or overlong sequence, surrogate, beyond U+10FFFF).
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  std::size_t length;
  std::uint32_t code;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2, code = lead & 0x1F;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, code = lead & 0x0F;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, code = lead & 0x07;
  else return 0;
  if (i + length > s.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000) || code > 0x10FFFF ||
      (code >= 0xD800 && code <= 0xDFFF))
    return 0;
  return length;
}

// Appends `text` as a quoted JSON string.
inline void append_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence_length(text, i);
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

// `count` divided by 1000, with three decimals ("1234.567"): nanoseconds as microseconds for
// trace-event timestamps, microseconds as milliseconds for log lines. Exact, no floating point.
inline void append_thousandths(std::string& out, std::int64_t count) {
  // Work in unsigned magnitude so INT64_MIN does not overflow on negation.
  const bool negative = count < 0;
  const std::uint64_t magnitude =
      negative ? std::uint64_t(0) - static_cast<std::uint64_t>(count) : static_cast<std::uint64_t>(count);
  if (negative) out += '-';
  out += std::to_string(magnitude / 1000);
  const auto fraction = static_cast<unsigned>(magnitude % 1000);
  out += '.';
  out += static_cast<char>('0' + fraction / 100);
  out += static_cast<char>('0' + fraction / 10 % 10);
  out += static_cast<char>('0' + fraction % 10);
}

// Writes one JSON value into a string; the caller keeps the nesting right, the writer the
// commas. Values are named methods (not overloads) so a const char* never becomes a bool.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  Writer& begin_object() { return open('{'); }
  Writer& end_object() { return close('}'); }
  Writer& begin_array() { return open('['); }
  Writer& end_array() { return close(']'); }

  Writer& key(std::string_view name) {
    separate();
    append_string(out_, name);
    out_ += ':';
    need_comma_ = false;
    return *this;
  }

  Writer& string(std::string_view text) {
    separate();
    append_string(out_, text);
    need_comma_ = true;
    return *this;
  }
  Writer& integer(std::int64_t value) {
    separate();
    out_ += std::to_string(value);
    need_comma_ = true;
    return *this;
  }
  Writer& boolean(bool value) {
    separate();
    out_ += value ? "true" : "false";
    need_comma_ = true;
    return *this;
  }
  Writer& micros(std::int64_t nanoseconds) {
    separate();
    append_thousandths(out_, nanoseconds);
    need_comma_ = true;
    return *this;
  }

 private:
  void separate() {
    if (need_comma_) out_ += ',';
  }
  Writer& open(char bracket) {
    separate();
    out_ += bracket;
    need_comma_ = false;
    return *this;
  }
  Writer& close(char bracket) {
    out_ += bracket;
    need_comma_ = true;
    return *this;
  }

  std::string& out_;
  bool need_comma_ = false;
};

}  // namespace recourse::plugins::json
