// `status_list`: retries exactly the HTTP statuses a team lists (for an API whose contract
// says which failures are safe to repeat), treats 2xx as success and everything else as final.
//
// [classifiers.orders] plugin = "status_list", retry_on = [502, 503]
#include <recourse/plugin.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

import recourse.plugin;
import recourse.support.config;  // ConfigReader, from the installed recourse::support

class StatusListClassifier final : public recourse::Classifier {
 public:
  explicit StatusListClassifier(const recourse::ComponentContext& context) {
    static constexpr std::string_view known[]{"plugin", "retry_on"};
    recourse::support::ConfigReader in(context.config, known);  // an unknown field is an error
    if (const recourse::ConfigNode* list = context.config.find("retry_on")) {
      retry_on_.clear();  // the configured list replaces the default
      for (const recourse::ConfigNode& item : list->items) {
        if (item.kind != recourse::ConfigNode::Kind::integer || item.integer < 100 || item.integer > 599)
          in.fail({item.where, item.path, "expected an HTTP status from 100 to 599"});
        else retry_on_.push_back(static_cast<int>(item.integer));
      }
    }
    in.finish();  // throws every error at once
  }

  recourse::Outcome classify(const recourse::AttemptView& attempt) const override {
    using recourse::OutcomeKind;
    if (attempt.cancelled) return {OutcomeKind::abort, recourse::reason::cancelled, std::nullopt};
    const int status = attempt.status.http_status;
    if (status >= 200 && status < 300) return {OutcomeKind::success, recourse::reason::success, std::nullopt};
    if (status < 0) {
      return attempt.has_value ? recourse::Outcome{OutcomeKind::success, recourse::reason::success, std::nullopt}
                               : recourse::Outcome{OutcomeKind::non_retryable, recourse::reason::non_retryable_error,
                                                   std::nullopt};
    }
    const bool listed = std::ranges::find(retry_on_, status) != retry_on_.end();
    return {listed ? OutcomeKind::retryable : OutcomeKind::non_retryable, recourse::http_reason(status), std::nullopt};
  }

 private:
  std::vector<int> retry_on_{503};
};

RECOURSE_DECLARE_PLUGIN("status-list", "0.1.0", recourse::classifier_component<StatusListClassifier>("status_list"))
