// Fuzz target: Key::parse (modules/key). Properties: a parsed key is canonical — its text
// re-parses to the same key, namespace and name; it has a name, no control characters and at
// most max_key_bytes; and the namespace/name split matches the text.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"

import recourse.core;

using recourse::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = recourse::fuzz::text(data, size);
  const auto key = recourse::Key::parse(text);
  if (!key) {
    check(!recourse::to_string(key.error()).empty(), "a rejected key has a reason");
    return 0;
  }
  const std::string& canonical = key->str();
  check(!key->name().empty(), "a key has a name", canonical);
  check(canonical.size() <= recourse::max_key_bytes, "a key fits max_key_bytes", canonical);
  for (const char c : canonical)
    check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "a key has no control characters", canonical);
  if (key->ns().empty()) check(key->name() == canonical, "without a namespace the name is the text", canonical);
  else check(std::string(key->ns()) + "." + std::string(key->name()) == canonical, "ns.name is the text", canonical);

  const auto again = recourse::Key::parse(canonical);
  check(again.has_value(), "a canonical key parses", canonical);
  check(*again == *key, "a canonical key re-parses to itself", canonical);
  check(again->ns() == key->ns() && again->name() == key->name(), "re-parsing keeps the split", canonical);
  check(again->hash() == key->hash(), "equal keys hash alike", canonical);
  return 0;
}
