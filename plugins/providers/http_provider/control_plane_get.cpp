// control_plane_get.hpp: a fetch's attempts as a call of the control plane's key.
#include "control_plane_get.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

namespace recourse::plugins::http_provider {

std::expected<FetchResponse, FetchFailure> get_through_host(PolicyFeedHost& host, Clock& clock,
                                                            const FetchSettings& settings, FetchRequest request,
                                                            std::initializer_list<long> answers, std::stop_token stop,
                                                            const std::function<void()>& on_request) {
  using std::chrono::milliseconds;
  std::optional<FetchResponse> response;
  FetchFailure failure;
  const std::string reason = host.run(
      control_plane_key,
      [&](const Attempt& attempt) -> std::string {
        if (on_request) on_request();
        request.stop = attempt.stop;
        request.time_left = milliseconds::max();
        if (attempt.deadline != TimePoint::max())
          request.time_left =
              std::max(milliseconds(1), std::chrono::duration_cast<milliseconds>(attempt.deadline - clock.now()));
        auto fetched = fetch(settings, request);
        if (!fetched) {
          failure = std::move(fetched.error());
          return failure.reason;
        }
        if (std::ranges::find(answers, fetched->status) == answers.end()) {
          failure = {"http_" + std::to_string(fetched->status),
                     "GET " + settings.url + ": HTTP " + std::to_string(fetched->status)};
          return failure.reason;
        }
        response = std::move(*fetched);
        return {};
      },
      std::move(stop));
  if (reason.empty()) return std::move(*response);
  if (failure.reason != reason || failure.detail.empty())
    failure = {reason, failure.detail.empty() ? reason : failure.detail};
  return std::unexpected(std::move(failure));
}

}  // namespace recourse::plugins::http_provider
