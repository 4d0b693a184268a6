// recourse.key — the policy key a call site names ("payments.Charge").
//
// A key is "namespace.name", split at the first dot, whitespace trimmed. Keys are the
// dimension of every policy lookup, metric and cache entry, so they are validated before an
// operation runs (empty, control characters, over 256 bytes are rejected with a reason) and
// can be interned once per call site into a KeyHandle that hashes and compares in O(1).
module;
#include "recourse/export.h"

#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>

export module recourse.key;

export namespace recourse {

// Why a key was rejected. The names double as reason codes (docs/reason-codes.md).
enum class KeyError : std::uint8_t { empty, control_character, too_long };

RECOURSE_API std::string_view to_string(KeyError error) noexcept;

inline constexpr std::size_t max_key_bytes = 256;

// A validated key in canonical form: "ns.name", or "name" when the namespace is empty.
class RECOURSE_API Key {
 public:
  // Trims whitespace, splits at the first dot (trimming both parts); when nothing follows
  // the dot the whole trimmed text is the name ("a." is name "a.", ".b" is name "b").
  static std::expected<Key, KeyError> parse(std::string_view text);

  // The namespace ("payments"), possibly empty.
  inline std::string_view ns() const noexcept { return std::string_view(text_).substr(0, ns_size_); }
  // The operation name ("Charge"), never empty.
  inline std::string_view name() const noexcept {
    return ns_size_ == 0 ? std::string_view(text_) : std::string_view(text_).substr(ns_size_ + 1);
  }
  // Canonical text; parse(k.str()) == k.
  inline const std::string& str() const noexcept { return text_; }
  inline std::size_t hash() const noexcept { return hash_; }

  // `inline`: a friend defined in a module class is not implicitly inline, and hidden
  // visibility would keep importers from linking it.
  friend inline bool operator==(const Key& a, const Key& b) noexcept { return a.text_ == b.text_; }

 private:
  Key(std::string text, std::uint32_t ns_size);

  std::string text_;
  std::uint32_t ns_size_ = 0;
  std::size_t hash_ = 0;
};

}  // namespace recourse

// Not exported (nothing of recourse::detail is): KeyHandle's inline members only need it
// reachable.
namespace recourse::detail {
// One interned key; lives until the process ends.
struct InternedKey {
  Key key;
  std::uint32_t id;
};
}  // namespace recourse::detail

export namespace recourse {

// A key interned for the life of the process: one pointer, O(1) hash and equality, and a
// dense id that caches can index. Meant for call sites with a fixed key, resolved once:
//   static const auto charge = recourse::KeyHandle::intern("payments.Charge").value();
// Interned keys are never freed, so never intern keys built from request data.
class RECOURSE_API KeyHandle {
 public:
  static std::expected<KeyHandle, KeyError> intern(std::string_view text);
  static KeyHandle intern(const Key& key);

  inline const Key& key() const noexcept { return entry_->key; }
  // Dense, starting at 0, in interning order.
  inline std::uint32_t id() const noexcept { return entry_->id; }
  inline std::size_t hash() const noexcept { return key().hash(); }

  friend inline bool operator==(KeyHandle a, KeyHandle b) noexcept { return a.entry_ == b.entry_; }

 private:
  explicit KeyHandle(const detail::InternedKey* entry) noexcept : entry_(entry) {}
  const detail::InternedKey* entry_;
};

}  // namespace recourse

// Specializations need no `export`: they are reachable wherever Key is.
template <>
struct std::hash<recourse::Key> {
  std::size_t operator()(const recourse::Key& k) const noexcept { return k.hash(); }
};

template <>
struct std::hash<recourse::KeyHandle> {
  std::size_t operator()(recourse::KeyHandle k) const noexcept { return k.hash(); }
};
