// recourse.plugin:outcome — what a classifier says about one attempt, and the reason codes.
//
// Reason codes are a stable, low-cardinality contract (docs/reason-codes.md; a test checks the
// two agree). They are string_views into static storage, so an Outcome is trivially copyable
// and carrying one costs nothing.
module;
#include "recourse/export.h"

#include <cstdint>
#include <optional>
#include <string_view>

export module recourse.plugin:outcome;

import recourse.policy;

export namespace recourse {

enum class OutcomeKind : std::uint8_t { success, retryable, non_retryable, abort, unknown };

RECOURSE_API std::string_view to_string(OutcomeKind kind) noexcept;

struct Outcome {
  OutcomeKind kind = OutcomeKind::unknown;
  std::string_view reason;  // a reason code: static storage
  // Replaces the computed backoff before the next retry (Retry-After, gRPC pushback).
  std::optional<Duration> backoff_override;
};

// The reason codes the core emits. Plugins may add their own (static storage, snake_case).
namespace reason {
// attempt outcome
inline constexpr std::string_view success = "success";
inline constexpr std::string_view retryable_error = "retryable_error";
inline constexpr std::string_view non_retryable_error = "non_retryable_error";
inline constexpr std::string_view abort = "abort";
inline constexpr std::string_view cancelled = "cancelled";
inline constexpr std::string_view deadline_exceeded = "deadline_exceeded";
inline constexpr std::string_view unknown_outcome = "unknown_outcome";
inline constexpr std::string_view classifier_error = "classifier_error";
inline constexpr std::string_view http_5xx = "http_5xx";
inline constexpr std::string_view http_non_idempotent = "http_non_idempotent";
inline constexpr std::string_view http_non_retryable_status = "http_non_retryable_status";
inline constexpr std::string_view http_transport_error = "http_transport_error";
// The server's gRPC pushback said "do not retry" (negative or malformed, gRFC A6).
inline constexpr std::string_view grpc_pushback_stop = "grpc_pushback_stop";
// budget decision
inline constexpr std::string_view allowed = "allowed";
inline constexpr std::string_view no_budget = "no_budget";
inline constexpr std::string_view budget_denied = "budget_denied";
inline constexpr std::string_view budget_not_found = "budget_not_found";
inline constexpr std::string_view budget_error = "budget_error";
// call refused or ended early
inline constexpr std::string_view invalid_key = "invalid_key";
inline constexpr std::string_view no_policy = "no_policy";
inline constexpr std::string_view classifier_not_found = "classifier_not_found";
inline constexpr std::string_view circuit_open = "circuit_open";
inline constexpr std::string_view circuit_half_open_probe_limit = "circuit_half_open_probe_limit";
inline constexpr std::string_view retry_after_exceeds_deadline = "retry_after_exceeds_deadline";
inline constexpr std::string_view max_attempts = "max_attempts";
inline constexpr std::string_view backoff_error = "backoff_error";
// A hedge group was decided while this attempt ran: its late result is not judged.
inline constexpr std::string_view hedge_cancelled = "hedge_cancelled";
// A hedge found no free thread and no room in the executor's hedge queue.
inline constexpr std::string_view hedge_pool_full = "hedge_pool_full";
}  // namespace reason

// The same text in core-owned storage that lives as long as the process. A plugin's reason
// points into the plugin's own library; what outlives a call (Failure, Timeline) holds the
// interned copy, so it stays valid after the plugin is unloaded. Reasons are low-cardinality
// by contract, so the set stays small.
RECOURSE_API std::string_view intern_reason(std::string_view reason);

// "http_503" for 100..599, "http_invalid_status" otherwise; static storage.
RECOURSE_API std::string_view http_reason(int status) noexcept;

// gRPC status codes, in their numeric order (OK = 0 .. UNAUTHENTICATED = 16).
enum class GrpcCode : std::uint8_t {
  ok, cancelled, unknown, invalid_argument, deadline_exceeded, not_found, already_exists, permission_denied,
  resource_exhausted, failed_precondition, aborted, out_of_range, unimplemented, internal, unavailable, data_loss,
  unauthenticated
};

// "grpc_unavailable"; "grpc_invalid_code" for a number outside 0..16.
RECOURSE_API std::string_view grpc_reason(int code) noexcept;
// "UNAVAILABLE" → 14; nullopt for an unknown name. Case-sensitive, as gRPC spells them.
RECOURSE_API std::optional<int> grpc_code_from_name(std::string_view name) noexcept;

}  // namespace recourse
