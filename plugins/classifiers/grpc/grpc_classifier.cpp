// The `grpc` classifier: OK is success; UNAVAILABLE and RESOURCE_EXHAUSTED are retryable (the
// list is configurable, as in gRPC's service config `retryableStatusCodes`); DEADLINE_EXCEEDED
// is retryable only when `retry_deadline_exceeded = true`; CANCELLED aborts; every other code
// is non-retryable. Server pushback becomes the next delay; a negative pushback means "do not
// retry" (gRPC A6).
//
// [classifiers.<name>] plugin = "grpc", retryable_codes = ["UNAVAILABLE", …],
// retry_deadline_exceeded = false
#include <recourse/plugin.h>

#include <chrono>  // the std operators on Duration are not visible through import alone

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

import recourse.plugin;

namespace recourse::plugins {

class GrpcClassifier final : public Classifier {
 public:
  explicit GrpcClassifier(const ComponentContext& context) {
    const ConfigView& config = context.config;
    static constexpr std::string_view known[]{"plugin", "retryable_codes", "retry_deadline_exceeded"};
    std::vector<ConfigError> errors = config.unknown_fields(known);
    if (auto codes = config.strings("retryable_codes"); !codes) {
      errors.push_back(codes.error());
    } else if (*codes) {
      retryable_.clear();
      for (const std::string& name : **codes) {
        if (auto code = grpc_code_from_name(name)) retryable_.push_back(*code);
        else errors.push_back(config.error("retryable_codes", "unknown gRPC code \"" + name + "\"; use the upper-case name, e.g. UNAVAILABLE"));
      }
    }
    if (auto deadline = config.boolean("retry_deadline_exceeded"); !deadline) errors.push_back(deadline.error());
    else if (*deadline && **deadline) retryable_.push_back(static_cast<int>(GrpcCode::deadline_exceeded));
    if (!errors.empty()) throw ConfigException(std::move(errors));
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
    if (code == static_cast<int>(GrpcCode::cancelled)) return {OutcomeKind::abort, grpc_reason(code), std::nullopt};
    return retryable(code, s.retry_after);
  }

 private:
  Outcome retryable(int code, std::optional<Duration> pushback) const {
    if (std::ranges::find(retryable_, code) == retryable_.end())
      return {OutcomeKind::non_retryable, grpc_reason(code), std::nullopt};
    if (pushback && *pushback < Duration::zero()) return {OutcomeKind::non_retryable, grpc_reason(code), std::nullopt};
    return {OutcomeKind::retryable, grpc_reason(code), pushback};
  }

  std::vector<int> retryable_{static_cast<int>(GrpcCode::unavailable), static_cast<int>(GrpcCode::resource_exhausted)};
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("grpc", "1.0.0", recourse::classifier_component<recourse::plugins::GrpcClassifier>("grpc"))
