// A strict RFC 8259 validator for the tests of the trace files: no JSON library is a
// dependency, and these tests only need to know whether a text is one valid JSON value.
// Returns an empty string when it is, otherwise what is wrong and at which byte.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace recourse::test {

class JsonChecker {
 public:
  static std::string check(std::string_view text) {
    JsonChecker c(text);
    c.space();
    if (!c.value()) return c.error_;
    c.space();
    if (c.at_ < text.size()) return c.fail("text after the value");
    return {};
  }

 private:
  explicit JsonChecker(std::string_view text) : s_(text) {}

  bool fail_bool(std::string_view what) {
    if (error_.empty()) error_ = std::string(what) + " at byte " + std::to_string(at_);
    return false;
  }
  std::string fail(std::string_view what) {
    fail_bool(what);
    return error_;
  }
  bool more() const { return at_ < s_.size(); }
  char peek() const { return more() ? s_[at_] : '\0'; }
  void space() {
    while (more() && (peek() == ' ' || peek() == '\n' || peek() == '\r' || peek() == '\t')) ++at_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(at_, word.size()) != word) return fail_bool("bad literal");
    at_ += word.size();
    return true;
  }
  bool value() {
    if (++depth_ > 256) return fail_bool("nesting too deep");
    bool ok;
    switch (peek()) {
      case '{': ok = object(); break;
      case '[': ok = array(); break;
      case '"': ok = string(); break;
      case 't': ok = literal("true"); break;
      case 'f': ok = literal("false"); break;
      case 'n': ok = literal("null"); break;
      default: ok = number();
    }
    --depth_;
    return ok;
  }
  bool object() {
    ++at_;
    space();
    if (peek() == '}') return ++at_, true;
    for (;;) {
      space();
      if (peek() != '"' || !string()) return fail_bool("expected a member name");
      space();
      if (peek() != ':') return fail_bool("expected ':'");
      ++at_;
      space();
      if (!value()) return false;
      space();
      if (peek() == ',') { ++at_; continue; }
      if (peek() == '}') return ++at_, true;
      return fail_bool("expected ',' or '}'");
    }
  }
  bool array() {
    ++at_;
    space();
    if (peek() == ']') return ++at_, true;
    for (;;) {
      space();
      if (!value()) return false;
      space();
      if (peek() == ',') { ++at_; continue; }
      if (peek() == ']') return ++at_, true;
      return fail_bool("expected ',' or ']'");
    }
  }
  static bool hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
  bool string() {
    ++at_;
    while (more()) {
      const auto c = static_cast<unsigned char>(s_[at_]);
      if (c == '"') return ++at_, true;
      if (c < 0x20) return fail_bool("control character in a string");
      if (c == '\\') {
        ++at_;
        const char e = peek();
        if (e == 'u') {
          for (int i = 1; i <= 4; ++i)
            if (!hex(at_ + i < s_.size() ? s_[at_ + i] : '\0')) return fail_bool("bad \\u escape");
          at_ += 5;
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos || e == '\0')
          return fail_bool("bad escape");
      }
      ++at_;
    }
    return fail_bool("unterminated string");
  }
  bool digits() {
    const std::size_t from = at_;
    while (more() && peek() >= '0' && peek() <= '9') ++at_;
    return at_ > from;
  }
  bool number() {
    if (peek() == '-') ++at_;
    if (peek() == '0') ++at_;
    else if (!digits()) return fail_bool("expected a value");
    if (peek() == '.') {
      ++at_;
      if (!digits()) return fail_bool("expected digits after '.'");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++at_;
      if (peek() == '+' || peek() == '-') ++at_;
      if (!digits()) return fail_bool("expected exponent digits");
    }
    return true;
  }

  std::string_view s_;
  std::size_t at_ = 0;
  int depth_ = 0;
  std::string error_;
};

}  // namespace recourse::test
