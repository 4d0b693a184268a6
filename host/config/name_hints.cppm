// recourse.host.config:name_hints — what to say about a name nobody knows: the known names it
// is probably a typo of ("did you mean http?") and the list of known names. One implementation
// for field and table names (the loader), component names (the runtime) and plugin components
// (the tool), so every "unknown name" message reads the same.
module;
#include <span>
#include <string>
#include <string_view>
#include <vector>

export module recourse.host.config:name_hints;

export namespace recourse::host {

// The known names within a small edit distance of `typo`, in the order given.
std::vector<std::string_view> close_matches(std::string_view typo, std::span<const std::string_view> known);

// " (did you mean a, b?)" when some known name is close, else "".
std::string did_you_mean(std::string_view typo, std::span<const std::string_view> known);

// "a, b, c"; "none" when there are none.
std::string known_names(std::span<const std::string_view> known);

// `no classifier named "htp" (did you mean http?); known: always, http, never` — the names
// sorted and each listed once.
std::string unknown_name(std::string_view what, std::string_view name, std::vector<std::string_view> known);

}  // namespace recourse::host
