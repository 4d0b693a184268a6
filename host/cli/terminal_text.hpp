// Text the tool prints to a terminal, made safe: config keys, values, field names and file
// names are the user's bytes, and a key such as "a\x1b]0;pwned\x07" would otherwise retitle
// the terminal, recolour the output or hide lines. Control characters (C0, DEL, C1), bytes
// that are not UTF-8 and the bidirectional overrides (Trojan Source) become visible escapes:
// \n \r \t, \xHH for a byte, \u{HHHH} for a code point. Everything else, including non-ASCII
// letters, passes unchanged. JSON output does not go through this: its escaping is JSON's.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

namespace recourse::cli {

namespace terminal_text_detail {

// The length of the UTF-8 sequence at `text[i]` and its code point; 0 when invalid.
inline std::size_t utf8_sequence(std::string_view text, std::size_t i, char32_t& code) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2, code = lead & 0x1f;
  else if (lead >= 0xe0 && lead <= 0xef) length = 3, code = lead & 0x0f;
  else if (lead >= 0xf0 && lead <= 0xf4) length = 4, code = lead & 0x07;
  else return 0;
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3f);
  }
  // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
  if ((length == 3 && code < 0x800) || (length == 4 && (code < 0x10000 || code > 0x10ffff)) ||
      (code >= 0xd800 && code <= 0xdfff))
    return 0;
  return length;
}

inline bool hidden_code_point(char32_t code) {
  return (code >= 0x80 && code <= 0x9f) ||      // C1 controls (0x9b is a CSI on some terminals)
         (code >= 0x202a && code <= 0x202e) ||  // bidirectional embeddings and overrides
         (code >= 0x2066 && code <= 0x2069) ||  // bidirectional isolates
         code == 0x200e || code == 0x200f || code == 0x061c;  // direction marks
}

inline std::string escape(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
    } else if (c == '\n') {
      out += keep_newlines ? "\n" : "\\n";
      ++i;
    } else if (c == '\r' || c == '\t') {
      out += c == '\r' ? "\\r" : "\\t";
      ++i;
    } else if (c < 0x80) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    } else if (char32_t code = 0; const std::size_t length = utf8_sequence(text, i, code)) {
      if (hidden_code_point(code)) out += fmt::format("\\u{{{:04x}}}", static_cast<std::uint32_t>(code));
      else out.append(text.substr(i, length));
      i += length;
    } else {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    }
  }
  return out;
}

}  // namespace terminal_text_detail

// One line of output: every control character is escaped, newlines too.
inline std::string printable(std::string_view line) { return terminal_text_detail::escape(line, false); }

// A block of lines (a table, a model description): newlines stay, everything else is escaped.
inline std::string printable_lines(std::string_view text) { return terminal_text_detail::escape(text, true); }

// One line of text output; keys, values and names in it are the config's bytes, escaped.
template <class... Args>
void line(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print("{}\n", printable(fmt::format(format, std::forward<Args>(args)...)));
}

// One escaped line per error of a ConfigErrors-like list (anything with `.errors` whose items
// `to_string` formats).
template <class Errors>
void print_error_lines(std::FILE* out, const Errors& errors) {
  for (const auto& e : errors.errors) fmt::print(out, "{}\n", printable(to_string(e)));
}

}  // namespace recourse::cli
