// recourse.support.json — JSON for what the host and the plugins write about finished calls,
// on nlohmann::ordered_json (fields stay in the order written):
//   - timeline_json(): a Timeline as one JSON object, the one mapping of its fields. The jsonl
//     observer writes it per call in nanoseconds ("start_ns"), the simulator's timelines.jsonl
//     per sampled call in milliseconds ("start_ms", exact to the microsecond).
//   - trace_metadata() / trace_complete() / trace_rows(): the pieces of Chrome trace events,
//     for the trace observer and the simulator's trace.json.
//   - json_text(): the compact text, with bytes that are not UTF-8 replaced by U+FFFD, so the
//     output is valid JSON whatever a caller put in a key.
module;
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

export module recourse.support.json;

export import recourse.plugin;

export namespace recourse::support {

using Json = nlohmann::ordered_json;

enum class TimeUnit { nanoseconds, milliseconds };

// {"key", "policy_id", "policy_source", "start_<unit>", "end_<unit>", "duration_<unit>",
//  ["succeeded",] "final_reason", "circuit_state", "circuit_probe", "modes_used",
//  "cardinality_limited", "normalization": [{"path", "before", "after"}…],
//  "attempts": [{"index", "retry_index", "is_hedge", "hedge_index", "start_<unit>",
//  "end_<unit>", "duration_<unit>", "kind", "reason", "backoff_before_<unit>", "budget_reason",
//  "deadline_overrun", "classifier_fallback"}…]}. `succeeded` is there when given: the
// Timeline does not hold it, an observer knows it from the callback.
Json timeline_json(const Timeline& timeline, TimeUnit unit, std::optional<bool> succeeded = std::nullopt);

std::string json_text(const Json& value);

// {"name":<event>,"ph":"M","pid":…[,"tid":…],"args":{<arg>:<value>}}; no tid when negative.
Json trace_metadata(std::string_view event, std::int64_t pid, std::int64_t tid, std::string_view arg, Json value);

// {"name","cat","ph":"X","ts","dur","pid","tid"}: ts and dur in microseconds (three decimals
// carry the nanoseconds), dur never negative. The caller adds "args".
Json trace_complete(std::string_view name, std::string_view category, std::int64_t pid, std::int64_t tid,
                    TimePoint start, TimePoint end);

// Which row (trace "tid", counted from the call's own) each attempt of a call goes on.
// Complete events on one row must nest: row 0 is the call's, for primary attempts that fit in
// it without overlapping; a hedge, or an attempt that overlaps or spills out, takes the first
// extra row free at its start.
struct TraceRows {
  std::vector<std::size_t> of_attempt;  // in the order of Timeline::attempts
  std::size_t count = 1;
};
TraceRows trace_rows(const Timeline& timeline);

// Durations as numbers of the unit: an integer count of nanoseconds, or milliseconds
// (microseconds) with three decimals.
Json milliseconds(Duration d);
Json microseconds(Duration d);

}  // namespace recourse::support
