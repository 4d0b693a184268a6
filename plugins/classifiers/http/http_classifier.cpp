// The `http` classifier: 2xx is success; 408, 429, 5xx and transport failures (status 0, or
// no response at all) are retryable only when the request is idempotent — by method (GET HEAD
// PUT DELETE OPTIONS TRACE, case-insensitive, or the configured list) or because the call or
// the response marks it so; every other status is non-retryable. Retry-After (seconds or an
// HTTP date) on 429 and 503 becomes the next delay.
//
// [classifiers.<name>] plugin = "http" accepts idempotent_methods = ["GET", …] to replace the
// default list.
#include <recourse/plugin.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "retry_after.hpp"

import recourse.plugin;

namespace recourse::plugins {
namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::toupper(x) == std::toupper(y);
         });
}

}  // namespace

class HttpClassifier final : public Classifier {
 public:
  // The host clock's calendar dates a Retry-After HTTP-date: virtual in tests and simulations.
  explicit HttpClassifier(const ComponentContext& context) : clock_(context.host.clock) {
    if (clock_ == nullptr) throw std::invalid_argument("the http classifier needs the host clock");
    static constexpr std::string_view known[]{"plugin", "idempotent_methods"};
    if (auto errors = context.config.unknown_fields(known); !errors.empty()) throw ConfigException(std::move(errors));
    auto methods = context.config.strings("idempotent_methods");
    if (!methods) throw ConfigException(methods.error());
    if (*methods) idempotent_methods_ = **methods;
  }

  Outcome classify(const AttemptView& a) const override {
    if (a.cancelled) return {OutcomeKind::abort, reason::cancelled, std::nullopt};
    const ProtocolStatus& s = a.status;
    const bool idempotent = a.call_idempotent || s.idempotent || idempotent_method(s.http_method);
    if (!s.has_http()) {
      if (a.has_value) return {OutcomeKind::success, reason::success, std::nullopt};
      // No response at all: a transport failure.
      return retryable_if(idempotent, reason::http_transport_error, std::nullopt);
    }
    const int status = s.http_status;
    if (status == 0) return retryable_if(idempotent, reason::http_transport_error, std::nullopt);
    if (status >= 200 && status < 300) return {OutcomeKind::success, reason::success, std::nullopt};
    if (status == 408 || status == 429 || (status >= 500 && status < 600)) {
      std::optional<Duration> after;
      if (status == 429 || status == 503) after = retry_after(s);
      return retryable_if(idempotent, status >= 500 ? reason::http_5xx : http_reason(status), after);
    }
    if (status < 100 || status >= 600) return {OutcomeKind::non_retryable, reason::http_non_retryable_status, std::nullopt};
    return {OutcomeKind::non_retryable, http_reason(status), std::nullopt};
  }

 private:
  static Outcome retryable_if(bool idempotent, std::string_view why, std::optional<Duration> after) {
    if (!idempotent) return {OutcomeKind::non_retryable, reason::http_non_idempotent, std::nullopt};
    return {OutcomeKind::retryable, why, after};
  }

  bool idempotent_method(std::string_view method) const {
    return std::ranges::any_of(idempotent_methods_, [&](const std::string& m) { return equal_ignoring_case(m, method); });
  }

  std::optional<Duration> retry_after(const ProtocolStatus& s) const {
    if (s.retry_after && *s.retry_after >= Duration::zero()) return s.retry_after;
    if (s.retry_after_header.empty()) return std::nullopt;
    return parse_retry_after(s.retry_after_header, clock_->wall_now());
  }

  const Clock* clock_;
  std::vector<std::string> idempotent_methods_{"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"};
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("http", "1.0.0", recourse::classifier_component<recourse::plugins::HttpClassifier>("http"))
