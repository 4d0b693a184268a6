// Indented JSON for `--format json`, built on nlohmann::ordered_json (fields in the order
// written) and printed with two-space indentation. Strings that are not valid UTF-8 have the
// bad bytes replaced by U+FFFD, so the output parses whatever bytes a key or a file name holds.
// A streaming interface (begin/end, key, value) so the commands write their documents in
// order, as they did before there was a JSON library.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace recourse::cli {

class JsonOutput {
 public:
  using Json = nlohmann::ordered_json;

  JsonOutput& begin_object() { return open(Json::object()); }
  JsonOutput& end_object() { return close(); }
  JsonOutput& begin_array() { return open(Json::array()); }
  JsonOutput& end_array() { return close(); }

  JsonOutput& key(std::string_view name) {
    key_ = name;
    return *this;
  }
  JsonOutput& string(std::string_view text) { return add(std::string(text)); }
  JsonOutput& integer(std::int64_t value) { return add(value); }
  // JSON has no NaN or infinity: those become null.
  JsonOutput& number(double value) { return add(std::isfinite(value) ? Json(value) : Json(nullptr)); }
  JsonOutput& boolean(bool value) { return add(value); }
  JsonOutput& null() { return add(nullptr); }

  // The document, with a final newline.
  std::string str() const { return root_.dump(2, ' ', false, Json::error_handler_t::replace) + "\n"; }

 private:
  // Puts a value into the innermost open container (under the last key in an object). Only
  // that container grows while it is open, so the pointers to the open ones stay valid.
  Json* place(Json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *open_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    Json& slot = parent[key_];
    slot = std::move(value);
    return &slot;
  }
  JsonOutput& add(Json value) {
    place(std::move(value));
    return *this;
  }
  JsonOutput& open(Json container) {
    open_.push_back(place(std::move(container)));
    return *this;
  }
  JsonOutput& close() {
    open_.pop_back();
    return *this;
  }

  Json root_;
  std::vector<Json*> open_;
  std::string key_;
};

}  // namespace recourse::cli
