// The generated-key heuristics and the per-namespace count (see key_cardinality.cppm).
module;
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module recourse.host.analysis;

namespace recourse::host {
namespace {

// ASCII only: keys are bytes, and a locale must not change what counts as a digit.
bool digit(char c) { return c >= '0' && c <= '9'; }
bool hex(char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool alnum(char c) { return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// 8-4-4-4-12 hex digits at `at`, not glued to more letters or digits on either side.
bool uuid_at(std::string_view text, std::size_t at) {
  static constexpr std::string_view shape = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
  if (text.size() - at < shape.size()) return false;
  if (at > 0 && alnum(text[at - 1])) return false;
  if (at + shape.size() < text.size() && alnum(text[at + shape.size()])) return false;
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (shape[i] == '-' ? text[at + i] != '-' : !hex(text[at + i])) return false;
  return true;
}

// The longest run of characters for which `in_run` holds and which also satisfies `keep`.
template <class InRun, class Keep>
std::string_view longest_run(std::string_view text, InRun in_run, Keep keep) {
  std::string_view best;
  for (std::size_t i = 0; i < text.size();) {
    if (!in_run(text[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && in_run(text[end])) ++end;
    const std::string_view run = text.substr(i, end - i);
    if (run.size() > best.size() && keep(run)) best = run;
    i = end;
  }
  return best;
}

}  // namespace

std::optional<std::string> generated_looking(std::string_view key) {
  for (std::size_t i = 0; i < key.size(); ++i)
    if (uuid_at(key, i)) return fmt::format("it holds a UUID \"{}\"", key.substr(i, 36));
  const auto has_digit = [](std::string_view run) { return std::ranges::any_of(run, digit); };
  if (const auto run = longest_run(key, hex, has_digit); run.size() >= 12)
    return fmt::format("it holds a hex id \"{}\" ({} hex digits)", run, run.size());
  if (const auto run = longest_run(key, digit, [](std::string_view) { return true; }); run.size() >= 6)
    return fmt::format("it holds a run of {} digits \"{}\"", run.size(), run);
  return std::nullopt;
}

std::vector<Warning> key_cardinality_warnings(const PolicyTable& table, std::size_t max_keys_per_namespace) {
  std::vector<Warning> out;
  const auto suspect = [&](const std::string& key, const SourceLocation& where) {
    if (auto why = generated_looking(key))
      out.push_back(Warning{warning_code::high_cardinality_key, key, where,
                            fmt::format("looks generated: {}; a key is a metric dimension and a cache entry, so "
                                        "name the operation, not the object (\"orders.Get\", not one key per order)",
                                        *why)});
  };
  std::map<std::string, std::vector<std::pair<const SourceLocation*, std::string>>, std::less<>> by_namespace;
  for (const auto& [text, patch] : table.exact) {
    suspect(text, patch.where);
    const auto key = Key::parse(text);
    if (key && !key->ns().empty()) by_namespace[std::string(key->ns())].emplace_back(&patch.where, text);
  }
  for (const auto& [ns, patch] : table.namespaces) suspect(ns + ".*", patch.where);

  for (auto& [ns, keys] : by_namespace) {
    if (keys.size() <= max_keys_per_namespace) continue;
    // Two keys never share a header, so the order is total.
    std::ranges::sort(keys, std::less<>{}, [](const auto& k) { return std::pair(k.first->line, k.first->column); });
    const auto& [where, first_past] = keys[max_keys_per_namespace];
    out.push_back(Warning{warning_code::too_many_keys_in_namespace, ns + ".*", *where,
                          fmt::format("{} keys in namespace \"{}\", more than {} (from \"{}\" on): keys this many "
                                      "are usually generated; use a namespace wildcard or fewer, coarser keys",
                                      keys.size(), ns, max_keys_per_namespace, first_past)});
  }
  return out;
}

}  // namespace recourse::host
