// recourse.plugin:policy_feed: the interfaces' key functions (their type information lives in
// the core library, so the host's dynamic_cast finds a plugin's PolicyFeed).
module;
#include <optional>

module recourse.plugin;

namespace recourse {

PolicyFeedHost::~PolicyFeedHost() = default;
PolicyFeed::~PolicyFeed() = default;
FeedStatusSource::~FeedStatusSource() = default;
KeyedPolicyFeed::~KeyedPolicyFeed() = default;
std::optional<PolicyDocument> PolicyFeed::saved() const { return std::nullopt; }

}  // namespace recourse
