// recourse.executor:call_timeline — the timeline a call builds for its observers: this thread's
// reused spare, and the summary every call-end timeline starts from. Shared by CallState and
// the inline paths' out-of-line reports (watched_first.cpp), so both tell observers the same.
module;
#include <string_view>

export module recourse.executor:call_timeline;

import recourse.plugin;
import :state;

namespace recourse::detail {

// This thread's spare timeline, when no call on the thread holds it: reused, so its strings and
// vectors keep their capacity and a steady stream of calls allocates nothing. Null when it is
// taken (an operation or an observer calling an executor): that call builds its own.
Timeline* take_spare_timeline() noexcept;
void give_back_spare_timeline() noexcept;

// Starts a call's timeline afresh for `policy` (null: the call had none). Every field is
// assigned, none reset by a new Timeline, so a reused one allocates nothing. `whole`: the
// timeline gets the attempts and the policy's normalization, not only the summary.
void start_timeline(Timeline& timeline, std::string_view key, TimePoint start, const CompiledPolicy* policy,
                    bool whole);

}  // namespace recourse::detail
