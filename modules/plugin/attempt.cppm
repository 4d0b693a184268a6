// recourse.plugin:attempt — what an operation sees of its attempt (Attempt) and what a
// classifier sees of its result (AttemptView), plus the protocol-status customization point.
module;
#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <stop_token>
#include <string_view>
#include <system_error>

export module recourse.plugin:attempt;

import recourse.policy;
import :time_point;

export namespace recourse {

// Handed to the operation on every attempt.
struct Attempt {
  int index = 0;        // 0-based, across retries and hedges
  int retry_index = 0;  // which retry group (0: the first attempt and its hedges)
  bool is_hedge = false;
  int hedge_index = 0;  // 1.. for hedges, 0 for the primary
  // Earliest of the per-attempt and overall deadlines; TimePoint::max() when neither is set.
  TimePoint deadline = TimePoint::max();
  // Stop is requested on caller cancellation and when `deadline` passes. Ops should honour it;
  // one that does not is still classified, and its timeline record says deadline_overrun.
  // Valid while the attempt runs: an unstopped stop state is reused by the thread's next
  // attempt, so an op must not keep the token (or a stop_callback on it) past its return.
  std::stop_token stop;
  std::string_view policy_id;
};

// A protocol status a value or error carries: HTTP status and method, gRPC code, a server's
// hint for when to retry. Unset fields keep their "none" values.
struct ProtocolStatus {
  int http_status = -1;  // -1: none; 0: transport failure (no response)
  std::string_view http_method;
  int grpc_code = -1;  // -1: none
  std::optional<Duration> retry_after;  // Retry-After, gRPC pushback, already as a delay
  std::string_view retry_after_header;  // or the raw Retry-After header, for classifiers to parse
  bool idempotent = false;  // the request may safely be repeated, whatever its method
  // Or the raw `grpc-retry-pushback-ms` trailer value, for classifiers to parse (gRFC A6: a
  // non-negative integer of milliseconds; anything else means "do not retry").
  std::string_view grpc_pushback_header;

  inline bool has_http() const noexcept { return http_status >= 0; }
  inline bool has_grpc() const noexcept { return grpc_code >= 0; }
};

// The customization point. A type exposes its status with a free function found by
// argument-dependent lookup, in its own namespace — no base class, no registration:
//
//   namespace shop {
//   struct Response { int code; ... };
//   recourse::ProtocolStatus recourse_protocol_status(const Response& r) {
//     return {.http_status = r.code, .http_method = "GET"};
//   }
//   }
//
// The executor calls it on values an operation returns and on the error of a
// std::expected<T, E> it returns.
template <class T>
concept HasProtocolStatus = requires(const T& t) {
  { recourse_protocol_status(t) } -> std::convertible_to<ProtocolStatus>;
};

template <class T>
ProtocolStatus protocol_status_of(const T& value) {
  if constexpr (HasProtocolStatus<T>) return recourse_protocol_status(value);
  else return {};
}

// A classifier's view of one finished attempt, type-erased.
struct AttemptView {
  bool has_value = false;          // a value (or an empty error_code) came back
  std::exception_ptr exception;    // the operation threw this
  // A failing std::error_code it returned. Optional, not a default error_code: constructing
  // one costs a call to std::system_category() on every attempt.
  std::optional<std::error_code> error;
  bool has_error_value = false;    // it returned std::expected<T, E> holding an E (not an error_code)
  ProtocolStatus status;           // from the value or the error, when they expose one
  bool cancelled = false;          // the caller asked the call to stop
  bool deadline_exceeded = false;  // the attempt's deadline had passed when it returned
  int attempt_index = 0;
  bool call_idempotent = false;    // the call site marked the operation idempotent

  inline bool failed() const noexcept { return !has_value; }
};

}  // namespace recourse
