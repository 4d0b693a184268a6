// The `log` observer: one structured (logfmt) line per attempt and one per call, written
// through the host's logger — never a global spdlog registry, which would be this shared
// object's own and go nowhere.
//
//   attempt key=payments.Charge policy=payments.* attempt=1 retry=1 hedge=0 kind=retryable
//           reason=http_503 duration=12.000ms backoff=10.000ms budget=allowed
//   call key=payments.Charge policy=payments.* source=static outcome=failure reason=max_attempts
//        attempts=3 duration=45.000ms
//
// Fields that are usually empty or false appear only when set: budget (empty for a first
// attempt), deadline_overrun, classifier_fallback, modes, cardinality_limited. Values with
// spaces, quotes, '=', or control characters are quoted with JSON escapes, so every event stays
// on one line. Durations are milliseconds with microsecond precision.
//
// [observers.<name>] plugin = "log", level = "debug" | "info" | "warn" | "error" (default
// "info"). Failed calls are logged at warn, or at `level` when that is higher, so they stand out.
#include <nlohmann/json.hpp>
#include <recourse/plugin.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>


import recourse.plugin;
import recourse.support.config;
import recourse.support.json;

namespace recourse::plugins {
namespace {

constexpr std::array<std::pair<std::string_view, LogLevel>, 4> levels{{
    {"debug", LogLevel::debug},
    {"info", LogLevel::info},
    {"warn", LogLevel::warn},
    {"error", LogLevel::error},
}};

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  return std::ranges::any_of(value, [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7F || c == '"' || c == '=' || c == '\\';
  });
}

// Appends " name=value", quoting the value when a reader could not split it otherwise.
void field(std::string& line, std::string_view name, std::string_view value) {
  line += ' ';
  line += name;
  line += '=';
  if (needs_quotes(value)) line += support::json_text(support::Json(value));  // a JSON string
  else line += value;
}

void field(std::string& line, std::string_view name, std::int64_t value) { field(line, name, std::to_string(value)); }

// "12.345ms": whole microseconds as milliseconds with three decimals, exact (no floating point).
void duration_field(std::string& line, std::string_view name, Duration d) {
  const std::int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  // Unsigned magnitude, so the most negative count does not overflow on negation.
  const std::uint64_t magnitude =
      us < 0 ? std::uint64_t(0) - static_cast<std::uint64_t>(us) : static_cast<std::uint64_t>(us);
  std::string text = (us < 0 ? "-" : "") + std::to_string(magnitude / 1000) + ".";
  const std::string fraction = std::to_string(magnitude % 1000);
  text += std::string(3 - fraction.size(), '0') + fraction;
  field(line, name, text + "ms");
}

}  // namespace

class LogObserver final : public SelectiveObserver {
 public:
  ObserverEvents events() const noexcept override {
    return ObserverEvent::attempt | ObserverEvent::timeline | ObserverEvent::times |
           ObserverEvent::cardinality_exceeded;
  }

  explicit LogObserver(const ComponentContext& context) : logger_(context.host.logger) {
    static constexpr std::string_view known[]{"plugin", "level"};
    support::ConfigReader in(context.config, known);
    if (auto level = in.string("level")) {
      const auto found = std::ranges::find(levels, *level, &std::pair<std::string_view, LogLevel>::first);
      if (found == levels.end())
        in.fail("level", "unknown log level \"" + *level + "\"; known: debug, info, warn, error");
      else level_ = found->second;
    }
    if (logger_ == nullptr) in.fail("", "the host provides no logger for the log observer to write to");
    in.finish();
  }

  void on_attempt(const CallInfo& call, const AttemptRecord& a) override {
    std::string line = "attempt";
    field(line, "key", call.key);
    field(line, "policy", call.policy_id);
    field(line, "attempt", a.index);
    field(line, "retry", a.retry_index);
    field(line, "hedge", a.hedge_index);  // 0 for the primary, 1.. for hedges
    field(line, "kind", to_string(a.kind));
    field(line, "reason", a.reason);
    duration_field(line, "duration", a.end - a.start);
    duration_field(line, "backoff", a.backoff_before);
    if (!a.budget_reason.empty()) field(line, "budget", a.budget_reason);
    if (a.deadline_overrun) field(line, "deadline_overrun", "true");
    if (a.classifier_fallback) field(line, "classifier_fallback", "true");
    logger_->log(level_, line);
  }

  void on_success(const CallInfo& call, const Timeline& timeline) override { log_call(call, timeline, true); }
  void on_failure(const CallInfo& call, const Timeline& timeline) override { log_call(call, timeline, false); }

  void on_cardinality_exceeded(std::string_view key) override {
    std::string line = "cardinality_exceeded";
    field(line, "key", key);
    logger_->log(std::max(level_, LogLevel::warn), line);
  }

 private:
  void log_call(const CallInfo& call, const Timeline& t, bool succeeded) {
    std::string line = "call";
    field(line, "key", call.key);
    field(line, "policy", call.policy_id);
    field(line, "source", to_string(call.policy_source));
    field(line, "outcome", succeeded ? "success" : "failure");
    field(line, "reason", t.final_reason);
    field(line, "attempts", static_cast<std::int64_t>(t.attempts.size()));
    duration_field(line, "duration", t.end - t.start);
    if (!t.modes_used.empty()) {
      std::string modes;
      for (std::string_view m : t.modes_used) modes.append(modes.empty() ? "" : ",").append(m);
      field(line, "modes", modes);
    }
    if (t.cardinality_limited) field(line, "cardinality_limited", "true");
    logger_->log(succeeded ? level_ : std::max(level_, LogLevel::warn), line);
  }

  Logger* logger_;
  LogLevel level_ = LogLevel::info;
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("log", "1.0.0", recourse::observer_component<recourse::plugins::LogObserver>("log"))
