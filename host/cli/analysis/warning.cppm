// recourse.host.analysis:warning — one thing in a config that loads but is probably a mistake.
// The code is a stable name (docs/cli.md lists them; scripts match on it, so never rename one);
// `where` points at the line to change when the config knows it.
module;
#include <array>
#include <string>
#include <vector>

export module recourse.host.analysis:warning;

export import recourse.core;

export namespace recourse::host {

struct Warning {
  std::string code;  // "retry-without-budget"
  std::string key;   // "payments.Charge", "payments.*", "*" for any other key
  SourceLocation where;
  std::string message;
  // Further keys with the same risk from the same line: a field set in [defaults] or a
  // namespace is inherited by many keys, and warned about once (see merge_inherited).
  std::vector<std::string> also;
};

// The codes, for tests and docs to walk.
namespace warning_code {
inline constexpr const char* retry_without_budget = "retry-without-budget";
inline constexpr const char* hedge_without_budget = "hedge-without-budget";
inline constexpr const char* attempt_timeouts_exceed_overall = "attempt-timeouts-exceed-overall";
inline constexpr const char* retry_after_cap_exceeds_overall = "retry-after-cap-exceeds-overall";
inline constexpr const char* high_cardinality_key = "high-cardinality-key";
inline constexpr const char* too_many_keys_in_namespace = "too-many-keys-in-namespace";
// A spelling still accepted but deprecated (`backend =` in a budget); `key` is the field path.
inline constexpr const char* deprecated_spelling = "deprecated-spelling";
// A secret written into the config (`token = "…"` in a component's table): configs are read by
// many and committed; take it from the environment or a file. `key` is the field path.
inline constexpr const char* inline_secret = "inline-secret";
inline constexpr std::array<const char*, 8> all{retry_without_budget,
                                                hedge_without_budget,
                                                attempt_timeouts_exceed_overall,
                                                retry_after_cap_exceeds_overall,
                                                high_cardinality_key,
                                                too_many_keys_in_namespace,
                                                deprecated_spelling,
                                                inline_secret};
}  // namespace warning_code

// "file:line:col: warning: KEY: MESSAGE [code]" (the position is left out when unknown). A
// warning several keys share names them — "a.B, c.D, *" — or, past three, the first three
// and how many more.
std::string to_string(const Warning& warning);

// The keys a warning is about, `key` first.
std::string keys_text(const Warning& warning);

// One warning per risk and line: warnings with the same code, position and message (a field
// set by one layer and inherited by several keys) become the first of them, with the other
// keys in `also`. Warnings without a position are kept apart. Order is kept.
std::vector<Warning> merge_inherited(std::vector<Warning> warnings);

}  // namespace recourse::host
