// Parsing, validation and interning of recourse::Key (see key.cppm).
module;
#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

module recourse.key;

namespace recourse {
namespace {

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool has_control_character(std::string_view s) noexcept {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

std::string_view to_string(KeyError error) noexcept {
  switch (error) {
    case KeyError::empty: return "key_empty";
    case KeyError::control_character: return "key_control_character";
    case KeyError::too_long: return "key_too_long";
  }
  return "key_invalid";
}

Key::Key(std::string text, std::uint32_t ns_size)
    : text_(std::move(text)), ns_size_(ns_size), hash_(std::hash<std::string>{}(text_)) {}

std::expected<Key, KeyError> Key::parse(std::string_view text) {
  const std::string_view whole = trim(text);
  if (whole.empty()) return std::unexpected(KeyError::empty);
  if (has_control_character(whole)) return std::unexpected(KeyError::control_character);
  if (whole.size() > max_key_bytes) return std::unexpected(KeyError::too_long);

  const std::size_t dot = whole.find('.');
  if (dot == std::string_view::npos) return Key(std::string(whole), 0);

  const std::string_view ns = trim(whole.substr(0, dot));
  const std::string_view name = trim(whole.substr(dot + 1));
  if (name.empty()) return Key(std::string(whole), 0);
  // No namespace before the dot: the rest is the key, split again ("..b" is "b", ".b.c" is
  // "b.c" with namespace "b"), so the text is canonical — parse(k.str()) == k.
  if (ns.empty()) return parse(name);

  std::string canonical;
  canonical.reserve(ns.size() + 1 + name.size());
  canonical.append(ns).append(1, '.').append(name);
  return Key(std::move(canonical), static_cast<std::uint32_t>(ns.size()));
}

namespace {

// Append-only: entries live in a deque so their addresses never move, and are never freed,
// so a KeyHandle is a plain pointer that stays valid for the process's life.
class KeyInterner {
 public:
  const detail::InternedKey* intern(const Key& key) {
    {
      std::shared_lock lock(mutex_);
      if (auto it = index_.find(key.str()); it != index_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    if (auto it = index_.find(key.str()); it != index_.end()) return it->second;
    auto& entry = entries_.emplace_back(detail::InternedKey{key, static_cast<std::uint32_t>(entries_.size())});
    index_.emplace(entry.key.str(), &entry);
    return &entry;
  }

 private:
  std::shared_mutex mutex_;
  std::deque<detail::InternedKey> entries_;
  std::unordered_map<std::string_view, const detail::InternedKey*> index_;
};

KeyInterner& interner() {
  static KeyInterner* instance = new KeyInterner;  // never destroyed: handles outlive statics
  return *instance;
}

}  // namespace

KeyHandle KeyHandle::intern(const Key& key) { return KeyHandle(interner().intern(key)); }

std::expected<KeyHandle, KeyError> KeyHandle::intern(std::string_view text) {
  auto key = Key::parse(text);  // libstdc++ 12's expected has no transform()
  if (!key) return std::unexpected(key.error());
  return intern(*key);
}


}  // namespace recourse
