// recourse.executor:watched_first — what observers and a caller's Timeline are told of a call
// whose attempt 0 an inline path ran (run_watched_first, run_timed_first): filled in out of
// line, in the order and with the contents CallState gives them, so neither can tell the paths
// apart. A first attempt that does not succeed goes on in CallState, which tells the rest.
module;
#include "recourse/export.h"

#include <cstdint>
#include <string_view>

export module recourse.executor:watched_first;

import recourse.key;
import recourse.plugin;
import :key_index;

namespace recourse::detail {

struct ExecutorState;

inline std::string_view key_text(std::string_view key) noexcept { return key; }
inline std::string_view key_text(KeyHandle key) noexcept { return key.key().str(); }

// on_start, before attempt 0. `start`: the call's start, or zero when nothing read it.
RECOURSE_API void tell_call_started(ExecutorState& executor, const PolicyHead& head, std::string_view key,
                                    TimePoint start);
// Attempt 0 succeeded and ended at `end` (zero when nothing read it): its record, the closed
// breaker's count of it (and a transition, when a slow success opens it), the call's outcome;
// the whole of it in `timeline` (the caller's, or null).
RECOURSE_API void tell_first_success(ExecutorState& executor, const PolicyHead& head, std::string_view key,
                                     TimePoint start, TimePoint end, std::uint64_t circuit_generation,
                                     Timeline* timeline);

}  // namespace recourse::detail
