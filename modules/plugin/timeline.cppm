// recourse.plugin:timeline — the structured record of one call: what each attempt did and why
// the call ended. Captured on request (CallOptions::timeline), or for observers as much as they
// want (ObserverEvent::outcome, ::timeline); free when neither. Field names are a stable
// contract (docs/reason-codes.md).
module;
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

export module recourse.plugin:timeline;

import recourse.policy;
import :attempt;
import :outcome;

export namespace recourse {

enum class CircuitState : std::uint8_t { closed, open, half_open };

// "closed", "open", "half_open"
inline constexpr std::string_view to_string(CircuitState state) noexcept {
  return state == CircuitState::closed ? "closed" : state == CircuitState::open ? "open" : "half_open";
}

struct CircuitTransition {
  CircuitState from;
  CircuitState to;
};

struct AttemptRecord {
  int index = 0;
  int retry_index = 0;
  bool is_hedge = false;
  int hedge_index = 0;
  TimePoint start{};
  TimePoint end{};
  OutcomeKind kind = OutcomeKind::unknown;
  std::string_view reason;
  Duration backoff_before{};       // slept before this attempt started
  std::string_view budget_reason;  // the decision that admitted it; empty for a first attempt
  bool deadline_overrun = false;   // returned after its deadline (ignored its stop_token)
  bool classifier_fallback = false;  // the policy's classifier was missing; the default decided
};

struct Timeline {
  std::string key;
  std::string policy_id;
  PolicySource policy_source = PolicySource::builtin_default;
  std::vector<FieldChange> normalization;
  TimePoint start{};
  TimePoint end{};
  std::vector<AttemptRecord> attempts;
  std::string_view final_reason;
  // Which missing-component modes decided something in this call ("policy:fallback",
  // "classifier:fallback", "budget:deny", ...) and whether the key was over the cardinality
  // limit and got the default policy.
  std::vector<std::string_view> modes_used;
  bool cardinality_limited = false;
  // The key's circuit breaker as this call met it (closed when the policy has none), and
  // whether the call was a half-open probe.
  CircuitState circuit_state = CircuitState::closed;
  bool circuit_probe = false;
};

// What observers are told about the call an event belongs to.
struct CallInfo {
  // A key past the executor's max_keys (it runs under its layer's shared policy) has no slot.
  static constexpr std::uint32_t no_key_slot = 0xffffffffu;

  std::string_view key;
  std::string_view policy_id;
  PolicySource policy_source = PolicySource::builtin_default;
  TimePoint start{};
  // The key's number in its executor: dense from 0 in the order keys were first called, the
  // same in every generation (reloads keep it), below max_keys plus the keys configured by
  // their exact name. An observer keeps per-key state in an array indexed by it, found without
  // a lookup on the key's text (ABI 4.1).
  std::uint32_t key_slot = no_key_slot;
};

struct BudgetEvent {
  int attempt_index = 0;  // the attempt the decision was for
  bool is_hedge = false;
  std::string_view budget;  // budget name; empty when the policy has none
  bool allowed = false;
  std::string_view reason;
};

// A hedge's life, as observers see it: started (after its budget allowed it), cancelled (the
// group was decided — a success won, or a terminal failure ended it — while it ran; the primary
// can be cancelled too, hedge_index 0), or not started (no pool thread or queue room).
enum class HedgeEventKind : std::uint8_t { spawned, cancelled, not_started };

struct HedgeEvent {
  HedgeEventKind kind = HedgeEventKind::spawned;
  int hedge_index = 0;    // 0: the primary (cancelled only)
  int attempt_index = 0;  // the attempt it is (spawned, cancelled); -1 when not started
  int retry_index = 0;    // its group
  TimePoint at{};
  std::string_view reason;  // not_started: why
};

}  // namespace recourse
