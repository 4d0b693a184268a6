// recourse.host.analysis:key_cardinality — keys are metric dimensions and cache entries, so a
// key that embeds an id (one key per user, order, request) grows without bound (DESIGN.md §4).
// A key looks generated when one of its segments (runs of letters and digits) is or holds:
//
//   - a run of 6 or more digits        users.Get123456, orders.1700000000
//   - a UUID                           jobs.Run-123e4567-e89b-12d3-a456-426614174000
//   - a hex id: 12 or more hex digits, at least one of them a decimal digit (so words such as
//     "deadbeefcafe" pass)             blobs.Put.5f2b9c0e7d1a
//
// and a namespace with more than a configured number of exact keys is itself suspect.
module;
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

export module recourse.host.analysis:key_cardinality;

export import recourse.core;
import :warning;

export namespace recourse::host {

inline constexpr std::size_t default_max_keys_per_namespace = 50;

// Why `key` looks generated ("a run of 8 digits \"12345678\""), or nothing when it does not.
std::optional<std::string> generated_looking(std::string_view key);

// high-cardinality-key for every configured key (exact, and the namespace of each wildcard)
// that looks generated; too-many-keys-in-namespace for every namespace with more than
// `max_keys_per_namespace` exact keys, at the first key past the limit in file order.
std::vector<Warning> key_cardinality_warnings(const PolicyTable& table, std::size_t max_keys_per_namespace);

}  // namespace recourse::host
