// recourse.policy:fields — the catalogue of policy fields, one entry per leaf of the schema.
//
// Every consumer that walks a policy field by field uses this one table: the TOML loader
// (path lookup, type and range checks), resolution (field-by-field merge with origins),
// `recourse explain`, normalization messages and the schema documentation test. Adding a field
// to Policy means adding one line to policy_fields.cpp.
module;
#include "recourse/export.h"

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <variant>

export module recourse.policy:fields;

import :duration;
import :types;

export namespace recourse {

using FieldValue =
    std::variant<bool, int, double, Duration, std::string, Jitter, HedgeTriggerKind, CircuitKind, WindowType>;

enum class FieldKind : std::uint8_t { boolean, integer, number, duration, string, enumeration };

RECOURSE_API std::string_view to_string(FieldKind kind) noexcept;

struct FieldInfo {
  std::string_view path;  // "retry.max_attempts": section(s), then the TOML key
  FieldKind kind;
  std::string_view doc;
  // What the loader accepts: integer and number fields must lie in [min, max]; string fields
  // must be at least `min` bytes long. Normalization clamps further (DESIGN.md §4).
  double min;
  double max;
  std::span<const std::string_view> choices;  // enumeration spellings
  FieldValue (*get)(const Policy&);
  void (*set)(Policy&, const FieldValue&);
  // For enumeration, duration and string fields: text to value, or why not.
  std::expected<FieldValue, std::string> (*from_text)(std::string_view);
};

// All fields in schema order (retry, retry.budget, hedge, hedge.budget, circuit).
RECOURSE_API std::span<const FieldInfo> policy_fields() noexcept;

// nullptr when no field has this path.
RECOURSE_API const FieldInfo* find_policy_field(std::string_view path) noexcept;

// Index of `field` in policy_fields().
RECOURSE_API std::size_t field_index(const FieldInfo& field) noexcept;

// The value as config spells it: 3, 2.5, true, 250ms, "http" (strings quoted), full.
RECOURSE_API std::string format_field_value(const FieldValue& value);

}  // namespace recourse
