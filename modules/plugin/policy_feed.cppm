// recourse.plugin:policy_feed — a policy provider whose policies arrive as whole documents
// from somewhere that changes while the service runs (an HTTP control plane, etcd). The feed
// fetches; the host reads each document with its own strict loader and makes it the next
// generation (a reload: state carried over, last-known-good on any error), so a document is
// judged exactly as a local file is, and a bad one changes nothing.
//
// A provider plugin opts in by deriving from PolicyFeed as well as PolicyProvider (the host
// finds it with dynamic_cast: ABI 4.2, and a 4.0/4.1 provider is still a plain provider).
module;
#include "recourse/export.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

export module recourse.plugin:policy_feed;

import recourse.policy;
import :time_point;
import :attempt;
import :clock;

export namespace recourse {

// The key a feed's fetches run under. Its policy is the local config's for that exact key, or
// the host's built-in one — never a document's: a document cannot break its own delivery.
inline constexpr std::string_view control_plane_key = "recourse.control_plane";

struct PolicyDocument {
  std::string text;   // TOML with [defaults] and [policies."…"] only
  std::string label;  // names it in errors and in `explain`: the URL, the etcd key
  PolicySource source = PolicySource::remote;  // last_known_good: the feed's saved copy
  std::string version;                         // the ETag, the revision: shown in status
};

// A per-key control plane's answer for one key: the body of its [policies."<key>"] table
// (`retry.max_attempts = 3` and the like), or none.
struct KeyPolicy {
  std::string key;                  // canonical key text
  std::optional<std::string> text;  // nullopt: the control plane has no policy for the key (404)
  std::string label;                // names it in errors: the key's URL
  std::string version;              // the ETag
};

// What `recourse plugins`, `explain` and the metrics show of a feed.
struct FeedStatus {
  std::string target;                 // the URL, the etcd key
  std::optional<WallTime> last_fetch;  // the last attempt to fetch, however it ended
  std::optional<WallTime> last_good;   // the last fetch that brought a good document or confirmed it
  std::string version;                // the ETag or revision of the document in force
  std::string last_error;             // reason code and detail of the last failure; empty after a success
  std::uint64_t fetches = 0;          // requests made (attempts, retries included)
  std::uint64_t unchanged = 0;        // fetches that found the document as it was (HTTP 304)
  std::uint64_t failures = 0;         // fetches that failed after their retries
  std::uint64_t refused = 0;          // documents fetched and refused by the host
};

// The host's side, handed to PolicyFeed::start. Thread-safe.
class RECOURSE_API PolicyFeedHost {
 public:
  virtual ~PolicyFeedHost();
  // A new document: read with the host's strict loader and made the next generation, or
  // refused (the running generation stays). Returns every reason it was refused, located
  // ("label:line:col: field.path: message"); empty when it was accepted.
  virtual std::vector<std::string> offer(const PolicyDocument& document) = 0;
  // Getting a document failed (there is none to offer): `reason` is a reason code (http_503,
  // timeout, too_large, …). Observers hear it as a refused configuration; nothing changes.
  virtual void report_error(std::string_view reason, std::string_view detail) noexcept = 0;
  // Runs one fetch as a call of `key` on the host's executor — retries, backoff, timeouts,
  // budgets, timeline and observers, like any call. `attempt` returns an empty string when it
  // succeeded, else the reason code of its failure (retried per the key's policy). Returns
  // empty on success, else the call's final reason (the last attempt's, or the executor's:
  // max_attempts, deadline_exceeded, cancelled…). `stop` cancels it, backoff included.
  virtual std::string run(std::string_view key, const std::function<std::string(const Attempt&)>& attempt,
                          std::stop_token stop) = 0;
  // A KeyedPolicyFeed's answer for one key (ABI 4.4): read with the host's strict loader and
  // laid over the local policies for that key, or refused (the key keeps what it had: last-
  // known-good). A new generation is made only when the running one already answered the key
  // otherwise. Returns every reason it was refused, located; empty when it was accepted.
  virtual std::vector<std::string> offer_key(const KeyPolicy& policy) = 0;
};

// The feed of a host's running generation, as exporters see it (FeedStatusSource).
struct RunningFeed {
  std::string provider;  // the plugin component's name (http, etcd)
  FeedStatus status;
};

// The host's view of the feed it runs, for exporters that publish a control plane's health
// (PluginContext::feeds, ABI 4.3): asked at every scrape, so it is what is in force then.
class RECOURSE_API FeedStatusSource {
 public:
  virtual ~FeedStatusSource();
  // The running generation's feed, or nullopt when its provider is no feed. Thread-safe.
  virtual std::optional<RunningFeed> running_feed() const = 0;
};

class RECOURSE_API PolicyFeed {
 public:
  virtual ~PolicyFeed();
  // The document to start from before anything is fetched — a saved copy of the last good one
  // — or nullopt. Asked once, before start().
  virtual std::optional<PolicyDocument> saved() const;
  // Starts following the source (on the feed's own thread); may wait, bounded, for the first
  // document. `host` outlives stop().
  virtual void start(PolicyFeedHost& host) = 0;
  // Stops following and joins the feed's thread. Called once, before the host goes away.
  virtual void stop() noexcept = 0;
  virtual FeedStatus status() const = 0;
};

// A feed asked for each key on the key's first use (the http provider's per-key mode, ABI
// 4.4), found by dynamic_cast beside PolicyFeed. It answers through PolicyFeedHost::offer_key,
// from its own threads, and goes on answering as its answers expire and change.
class RECOURSE_API KeyedPolicyFeed {
 public:
  virtual ~KeyedPolicyFeed();
  // `key` is being compiled: follow it (fetch it, and again as its answer expires; one request
  // however many callers ask at once). With `wait` (the host has no answer for it), return once
  // its answer was offered, or its failure reported, or the feed's own bound on a first wait
  // has passed, or the feed cannot take more keys; only a key's first fetch is waited for.
  // Without (an answer carried from a feed a reload replaced), return at once. Thread-safe;
  // never throws.
  virtual void request(std::string_view key, bool wait) noexcept = 0;
};

}  // namespace recourse
