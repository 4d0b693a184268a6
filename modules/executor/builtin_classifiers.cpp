// The built-in classifiers `always` and `never` (see builtins.cppm).
module;
#include <optional>
#include <string_view>

module recourse.executor;

namespace recourse {

std::optional<std::string_view> protocol_failure_reason(const ProtocolStatus& status) noexcept {
  if (status.has_http()) {
    if (status.http_status == 0) return reason::http_transport_error;
    if (status.http_status >= 400) return http_reason(status.http_status);
  }
  if (status.has_grpc() && status.grpc_code != 0) return grpc_reason(status.grpc_code);
  return std::nullopt;
}

Outcome AlwaysClassifier::classify(const AttemptView& a) const {
  if (a.cancelled) return {OutcomeKind::abort, reason::cancelled, std::nullopt};
  if (const auto failing = protocol_failure_reason(a.status))
    return {OutcomeKind::retryable, *failing, a.status.retry_after};
  if (a.has_value) return {OutcomeKind::success, reason::success, std::nullopt};
  if (a.deadline_exceeded) return {OutcomeKind::retryable, reason::deadline_exceeded, std::nullopt};
  return {OutcomeKind::retryable, reason::retryable_error, std::nullopt};
}

Outcome NeverClassifier::classify(const AttemptView& a) const {
  if (a.cancelled) return {OutcomeKind::abort, reason::cancelled, std::nullopt};
  if (const auto failing = protocol_failure_reason(a.status)) return {OutcomeKind::non_retryable, *failing, std::nullopt};
  if (a.has_value) return {OutcomeKind::success, reason::success, std::nullopt};
  if (a.deadline_exceeded) return {OutcomeKind::non_retryable, reason::deadline_exceeded, std::nullopt};
  return {OutcomeKind::non_retryable, reason::non_retryable_error, std::nullopt};
}

}  // namespace recourse
