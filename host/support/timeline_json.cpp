// The JSON of finished calls (see timeline_json.cppm).
module;
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module recourse.support.json;

namespace recourse::support {
namespace {

std::int64_t nanoseconds(Duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }
std::int64_t nanoseconds(TimePoint t) { return nanoseconds(t.time_since_epoch()); }

// count / 1000 as a double: the shortest text that reads back as it is the three-decimal one
// (nlohmann writes the shortest), exact while the count is below 2^52.
double thousandths(std::int64_t count) { return static_cast<double>(count) / 1000.0; }

Json time_value(std::int64_t ns, TimeUnit unit) {
  if (unit == TimeUnit::nanoseconds) return ns;
  return thousandths(ns / 1000);  // whole microseconds, as milliseconds
}

}  // namespace

Json milliseconds(Duration d) { return thousandths(nanoseconds(d) / 1000); }
Json microseconds(Duration d) { return thousandths(nanoseconds(d)); }

Json timeline_json(const Timeline& t, TimeUnit unit, std::optional<bool> succeeded) {
  const char* suffix = unit == TimeUnit::nanoseconds ? "_ns" : "_ms";
  const auto field = [suffix](std::string_view name) { return std::string(name) + suffix; };
  Json out = Json::object();
  out["key"] = t.key;
  out["policy_id"] = t.policy_id;
  out["policy_source"] = std::string(to_string(t.policy_source));
  out[field("start")] = time_value(nanoseconds(t.start), unit);
  out[field("end")] = time_value(nanoseconds(t.end), unit);
  out[field("duration")] = time_value(nanoseconds(t.end - t.start), unit);
  if (succeeded) out["succeeded"] = *succeeded;
  out["final_reason"] = t.final_reason;
  out["circuit_state"] = std::string(to_string(t.circuit_state));
  out["circuit_probe"] = t.circuit_probe;
  Json& modes = out["modes_used"] = Json::array();
  for (std::string_view mode : t.modes_used) modes.push_back(mode);
  out["cardinality_limited"] = t.cardinality_limited;
  Json& changes = out["normalization"] = Json::array();
  for (const FieldChange& c : t.normalization)
    changes.push_back(Json{{"path", c.path}, {"before", c.before}, {"after", c.after}});
  Json& attempts = out["attempts"] = Json::array();
  for (const AttemptRecord& a : t.attempts) {
    Json& j = attempts.emplace_back(Json::object());
    j["index"] = a.index;
    j["retry_index"] = a.retry_index;
    j["is_hedge"] = a.is_hedge;
    j["hedge_index"] = a.hedge_index;
    j[field("start")] = time_value(nanoseconds(a.start), unit);
    j[field("end")] = time_value(nanoseconds(a.end), unit);
    j[field("duration")] = time_value(nanoseconds(a.end - a.start), unit);
    j["kind"] = std::string(to_string(a.kind));
    j["reason"] = a.reason;
    j[field("backoff_before")] = time_value(nanoseconds(a.backoff_before), unit);
    j["budget_reason"] = a.budget_reason;
    j["deadline_overrun"] = a.deadline_overrun;
    j["classifier_fallback"] = a.classifier_fallback;
  }
  return out;
}

std::string json_text(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json trace_metadata(std::string_view event, std::int64_t pid, std::int64_t tid, std::string_view arg, Json value) {
  Json out{{"name", event}, {"ph", "M"}, {"pid", pid}};
  if (tid >= 0) out["tid"] = tid;
  out["args"] = Json{{arg, std::move(value)}};
  return out;
}

Json trace_complete(std::string_view name, std::string_view category, std::int64_t pid, std::int64_t tid,
                    TimePoint start, TimePoint end) {
  return Json{{"name", name},
              {"cat", category},
              {"ph", "X"},
              {"ts", thousandths(nanoseconds(start))},
              {"dur", thousandths(std::max<std::int64_t>(nanoseconds(end - start), 0))},
              {"pid", pid},
              {"tid", tid}};
}

TraceRows trace_rows(const Timeline& t) {
  const std::vector<AttemptRecord>& spans = t.attempts;
  std::vector<std::size_t> order(spans.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // By start, then by position (a stable order without stable_sort's deprecated buffer).
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return std::pair(spans[a].start, a) < std::pair(spans[b].start, b); });
  std::vector<TimePoint> busy_until{TimePoint::min()};
  TraceRows rows;
  rows.of_attempt.resize(spans.size());
  for (std::size_t i : order) {
    const AttemptRecord& s = spans[i];
    std::size_t row = 0;
    const bool fits_call_row = !s.is_hedge && busy_until[0] <= s.start && s.start >= t.start && s.end <= t.end;
    if (!fits_call_row) {
      row = 1;
      while (row < busy_until.size() && busy_until[row] > s.start) ++row;
      if (row == busy_until.size()) busy_until.push_back(TimePoint::min());
    }
    busy_until[row] = std::max(busy_until[row], s.end);
    rows.of_attempt[i] = row;
  }
  rows.count = busy_until.size();
  return rows;
}

}  // namespace recourse::support
