// One GET from the control plane, made as a call of recourse.control_plane on the host's
// executor: each attempt a bounded fetch (http_fetch.hpp) within the attempt's deadline, a
// status the caller does not take as an answer a failure (http_<status>) that the key's policy
// retries. Both of the provider's modes fetch through it.
#pragma once

#include <expected>
#include <functional>
#include <initializer_list>
#include <stop_token>

#include "http_fetch.hpp"

import recourse.plugin;

namespace recourse::plugins::http_provider {

// `request.stop` is set per attempt; `on_request` is told of every request made (retries too).
// The failure of the last attempt, or the executor's reason when none ran (a denied budget).
std::expected<FetchResponse, FetchFailure> get_through_host(PolicyFeedHost& host, Clock& clock,
                                                            const FetchSettings& settings, FetchRequest request,
                                                            std::initializer_list<long> answers, std::stop_token stop,
                                                            const std::function<void()>& on_request);

}  // namespace recourse::plugins::http_provider
