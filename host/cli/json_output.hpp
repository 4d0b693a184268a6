// Indented JSON for `--format json`: the writer keeps commas and indentation, strings are
// escaped by the observers' json::append_string (RFC 8259, invalid UTF-8 replaced), so the
// output parses whatever bytes a key or a file name holds. Write-only, like the tool needs.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "json_writer.hpp"

namespace recourse::cli {

class JsonOutput {
 public:
  JsonOutput& begin_object() { return open('{'); }
  JsonOutput& end_object() { return close('}'); }
  JsonOutput& begin_array() { return open('['); }
  JsonOutput& end_array() { return close(']'); }

  JsonOutput& key(std::string_view name) {
    element();
    plugins::json::append_string(out_, name);
    out_ += ": ";
    after_key_ = true;
    return *this;
  }
  JsonOutput& string(std::string_view text) {
    element();
    plugins::json::append_string(out_, text);
    return *this;
  }
  JsonOutput& integer(std::int64_t value) {
    element();
    out_ += std::to_string(value);
    return *this;
  }
  // JSON has no NaN or infinity: those become null.
  JsonOutput& number(double value) {
    element();
    out_ += std::isfinite(value) ? fmt::format("{}", value) : "null";
    return *this;
  }
  JsonOutput& boolean(bool value) {
    element();
    out_ += value ? "true" : "false";
    return *this;
  }
  JsonOutput& null() {
    element();
    out_ += "null";
    return *this;
  }

  // The document, with a final newline.
  std::string str() const { return out_ + "\n"; }

 private:
  // Before a value or key: a comma after a sibling, then a new line at the current depth; a
  // value right after its key stays on the key's line.
  void element() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (has_sibling_) out_ += ',';
    if (depth_ > 0) newline(depth_);
    has_sibling_ = true;
  }
  JsonOutput& open(char bracket) {
    element();
    out_ += bracket;
    ++depth_;
    has_sibling_ = false;
    return *this;
  }
  JsonOutput& close(char bracket) {
    --depth_;
    if (has_sibling_) newline(depth_);  // an empty container stays "[]"
    out_ += bracket;
    has_sibling_ = true;
    return *this;
  }
  void newline(int depth) {
    out_ += '\n';
    out_.append(static_cast<std::size_t>(depth) * 2, ' ');
  }

  std::string out_;
  int depth_ = 0;
  bool has_sibling_ = false;
  bool after_key_ = false;
};

}  // namespace recourse::cli
