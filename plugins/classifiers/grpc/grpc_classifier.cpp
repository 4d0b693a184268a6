// The `grpc` classifier: OK is success; UNAVAILABLE and RESOURCE_EXHAUSTED are retryable (the
// list is configurable, as in gRPC's service config `retryableStatusCodes`); DEADLINE_EXCEEDED
// is retryable only when `retry_deadline_exceeded = true`; a server's CANCELLED aborts unless
// the list names it (the caller's own cancellation is seen apart, and always aborts); every
// other code is non-retryable. Server pushback — ProtocolStatus::retry_after, or the raw
// `grpc-retry-pushback-ms` value — becomes the next delay; a negative or malformed pushback
// means "do not retry" (gRFC A6), reason grpc_pushback_stop. An attempt its own deadline
// stopped is judged by the executor as deadline_exceeded, whatever code it came back with.
//
// [classifiers.<name>] plugin = "grpc", retryable_codes = ["UNAVAILABLE", …],
// retry_deadline_exceeded = false
#include <recourse/plugin.h>

#include "grpc_pushback.hpp"

#include <chrono>  // the std operators on Duration are not visible through import alone

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

import recourse.plugin;
import recourse.support.config;

namespace recourse::plugins {

class GrpcClassifier final : public Classifier {
 public:
  explicit GrpcClassifier(const ComponentContext& context) {
    static constexpr std::string_view known[]{"plugin", "retryable_codes", "retry_deadline_exceeded"};
    support::ConfigReader in(context.config, known);
    if (auto codes = in.strings("retryable_codes")) {
      retryable_.clear();
      for (const std::string& name : *codes) {
        if (auto code = grpc_code_from_name(name)) retryable_.push_back(*code);
        else
          in.fail("retryable_codes", "unknown gRPC code \"" + name + "\"; use the upper-case name, e.g. UNAVAILABLE");
      }
    }
    if (in.boolean("retry_deadline_exceeded").value_or(false))
      retryable_.push_back(static_cast<int>(GrpcCode::deadline_exceeded));
    in.finish();
  }

  Outcome classify(const AttemptView& a) const override {
    if (a.cancelled) return {OutcomeKind::abort, reason::cancelled, std::nullopt};
    const ProtocolStatus& s = a.status;
    if (!s.has_grpc()) {
      if (a.has_value) return {OutcomeKind::success, reason::success, std::nullopt};
      if (a.deadline_exceeded) return retryable(static_cast<int>(GrpcCode::deadline_exceeded), std::nullopt);
      return {OutcomeKind::non_retryable, grpc_reason(static_cast<int>(GrpcCode::unknown)), std::nullopt};
    }
    const int code = s.grpc_code;
    if (code == static_cast<int>(GrpcCode::ok)) return {OutcomeKind::success, reason::success, std::nullopt};
    return retryable(code, pushback(s));
  }

 private:
  // The server's pushback as a delay; negative means "do not retry".
  static std::optional<Duration> pushback(const ProtocolStatus& s) {
    if (s.retry_after) return s.retry_after;
    if (s.grpc_pushback_header.empty()) return std::nullopt;
    if (const auto ms = parse_grpc_pushback(s.grpc_pushback_header)) {
      // Saturated: milliseconds near their range do not fit in nanoseconds.
      constexpr auto most = std::chrono::duration_cast<std::chrono::milliseconds>(Duration::max());
      return *ms >= most ? Duration::max() : std::chrono::duration_cast<Duration>(*ms);
    }
    return Duration(-1);
  }

  Outcome retryable(int code, std::optional<Duration> pushback) const {
    if (std::ranges::find(retryable_, code) == retryable_.end()) {
      if (code == static_cast<int>(GrpcCode::cancelled)) return {OutcomeKind::abort, grpc_reason(code), std::nullopt};
      return {OutcomeKind::non_retryable, grpc_reason(code), std::nullopt};
    }
    if (pushback && *pushback < Duration::zero()) return {OutcomeKind::non_retryable, reason::grpc_pushback_stop, std::nullopt};
    return {OutcomeKind::retryable, grpc_reason(code), pushback};
  }

  std::vector<int> retryable_{static_cast<int>(GrpcCode::unavailable), static_cast<int>(GrpcCode::resource_exhausted)};
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("grpc", "1.0.0", recourse::classifier_component<recourse::plugins::GrpcClassifier>("grpc"))
