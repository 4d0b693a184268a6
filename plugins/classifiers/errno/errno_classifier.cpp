// The `errno` classifier: system errors (a returned std::error_code in the generic or system
// category, or a thrown std::system_error) that are usually transient — ECONNREFUSED,
// ECONNRESET, ECONNABORTED, ETIMEDOUT, EAGAIN, EHOSTUNREACH, ENETUNREACH, ENETDOWN, EPIPE,
// EINTR, EBUSY — are retryable; other errors are non-retryable; ECANCELED aborts. Reasons are
// `errno_<name>`. The retryable list is configurable.
//
// [classifiers.<name>] plugin = "errno", retryable = ["ECONNREFUSED", …]
#include <recourse/plugin.h>

#include <chrono>  // the std operators on Duration are not visible through import alone

#include <algorithm>
#include <cerrno>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "errno_names.hpp"

import recourse.plugin;
import recourse.support.config;

namespace recourse::plugins {

class ErrnoClassifier final : public Classifier {
 public:
  explicit ErrnoClassifier(const ComponentContext& context) {
    static constexpr std::string_view known[]{"plugin", "retryable"};
    support::ConfigReader in(context.config, known);
    if (auto names = in.strings("retryable")) {
      retryable_.clear();
      for (const std::string& name : *names) {
        if (auto value = errno_from_name(name)) retryable_.push_back(*value);
        else in.fail("retryable", "unknown errno name \"" + name + "\"");
      }
    }
    in.finish();
  }

  Outcome classify(const AttemptView& a) const override {
    if (a.cancelled) return {OutcomeKind::abort, reason::cancelled, std::nullopt};
    if (a.has_value) return {OutcomeKind::success, reason::success, std::nullopt};
    const std::optional<int> value = errno_of(a);
    if (!value) {
      if (a.deadline_exceeded) return {OutcomeKind::retryable, reason::deadline_exceeded, std::nullopt};
      return {OutcomeKind::non_retryable, reason::non_retryable_error, std::nullopt};
    }
    if (*value == ECANCELED) return {OutcomeKind::abort, errno_reason(*value), std::nullopt};
    const bool retry = std::ranges::find(retryable_, *value) != retryable_.end();
    return {retry ? OutcomeKind::retryable : OutcomeKind::non_retryable, errno_reason(*value), std::nullopt};
  }

 private:
  static std::optional<int> errno_of(const AttemptView& a) {
    const auto posix = [](const std::error_code& ec) -> std::optional<int> {
      if (ec.category() == std::generic_category() || ec.category() == std::system_category()) return ec.value();
      return std::nullopt;
    };
    if (a.error) return posix(*a.error);
    if (a.exception) {
      try {
        std::rethrow_exception(a.exception);
      } catch (const std::system_error& e) {
        return posix(e.code());
      } catch (...) {
      }
    }
    return std::nullopt;
  }

  std::vector<int> retryable_{ECONNREFUSED, ECONNRESET, ECONNABORTED, ETIMEDOUT, EAGAIN, EHOSTUNREACH,
                              ENETUNREACH,  ENETDOWN,   EPIPE,        EINTR,     EBUSY};
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("errno", "1.0.0", recourse::classifier_component<recourse::plugins::ErrnoClassifier>("errno"))
