// Runtime and its [provider]'s feed (see runtime.cppm, and recourse.plugin:policy_feed): the
// host's side of a control plane. A document a feed offers is read with the strict loader and
// becomes the next generation — the local file as it was, the document's policies instead of
// the ones before — or is refused with every reason, the running generation untouched
// (last-known-good). The feed's fetches run as calls of recourse.control_plane on this
// runtime's own executor, so they are retried, timed and observed like any call.
module;
#include "recourse/mutex.h"

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module recourse.host.runtime;

namespace recourse::host {

namespace {

// What a feed is told of a refusal: each error as text, located.
std::vector<std::string> error_texts(const ReloadResult& result) {
  std::vector<std::string> errors;
  for (const ConfigError& e : result.errors.errors) errors.push_back(to_string(e));
  return errors;
}

// An offer from a feed that a reload has since replaced: nothing changes.
ReloadResult from_replaced_feed(std::uint64_t generation, std::string what) {
  ReloadResult stale{.generation = generation};
  stale.errors.errors.push_back(ConfigError{{}, "provider", std::move(what) + " from a feed the config no longer has"});
  return stale;
}

}  // namespace

class Runtime::FeedHost final : public PolicyFeedHost {
 public:
  explicit FeedHost(Runtime& runtime) : runtime_(runtime) {}

  // Set before start(): which feed this host object speaks for.
  const PolicyFeed* feed = nullptr;

  std::vector<std::string> offer(const PolicyDocument& document) override {
    return error_texts(runtime_.offer(*feed, document));
  }

  std::vector<std::string> offer_key(const KeyPolicy& policy) override {
    return error_texts(runtime_.offer_key(*feed, policy));
  }

  void report_error(std::string_view reason, std::string_view detail) noexcept override {
    try {
      const std::string message = "provider_error " + std::string(reason) + ": " + std::string(detail);
      runtime_.logger->log(LogLevel::warn, "provider: " + message + "; the running policies stay");
      ConfigEvent event;
      event.errors.push_back(message);
      runtime_.executor->report_refused(std::move(event));
    } catch (...) {
    }
  }

  std::string run(std::string_view key, const std::function<std::string(const Attempt&)>& attempt,
                  std::stop_token stop) override {
    std::string last_reason;
    auto result = runtime_.executor->try_run(
        key,
        [&](const Attempt& a) -> std::expected<void, std::string> {
          std::string reason = attempt(a);
          if (reason.empty()) return {};
          last_reason = reason;
          return std::unexpected(std::move(reason));
        },
        CallOptions{.stop = std::move(stop)});
    if (result) return {};
    // The attempt's own reason says more than the executor's "retryable_error"; the executor's
    // says why it stopped when no attempt ran (a denied budget, a cancelled caller).
    return last_reason.empty() ? std::string(result.error().reason) : last_reason;
  }

 private:
  Runtime& runtime_;
};

std::expected<std::shared_ptr<const FeedDocument>, ConfigErrors> read_feed_document(const PolicyDocument& document) {
  auto policies = parse_policy_document(document.text, document.label);
  if (!policies) return std::unexpected(std::move(policies.error()));
  policies->source = document.source;
  return std::make_shared<const FeedDocument>(FeedDocument{std::move(*policies), document.label, document.version});
}

// The control plane's key gets the built-in control plane policy with the local config's entry
// for it laid over, and nothing of a document's: were it an entry like any other, a document's
// [defaults] and namespaces would fill the fields those two leave unset (a 1 ms per-attempt
// timeout, a breaker, hedging) and a document could break its own delivery. So the entry set
// here names every field. Never hedged: a feed's attempts share its fetch state.
void with_control_plane_policy(PolicyTable& policies, const PolicyTable& local) {
  static const PolicyPatch builtin = [] {
    auto table = parse_policy_document(
        "[policies.\"recourse.control_plane\"]\n"
        "retry.max_attempts = 4\nretry.initial_backoff = \"500ms\"\nretry.max_backoff = \"10s\"\n"
        "retry.jitter = \"full\"\nretry.overall_timeout = \"30s\"\n",
        "the built-in control plane policy");
    return table ? table->exact.begin()->second : PolicyPatch{};
  }();
  const std::string key(control_plane_key);
  PolicyPatch own = builtin;
  if (auto entry = local.exact.find(key); entry != local.exact.end()) {
    own.entries.insert(own.entries.end(), entry->second.entries.begin(), entry->second.entries.end());
    own.where = entry->second.where;
  }
  if (const FieldInfo* hedge = find_policy_field("hedge.enabled"))
    own.entries.push_back(PatchEntry{hedge, FieldValue(false), {}});
  PolicyTable alone;
  alone.exact.emplace(key, std::move(own));
  const ResolvedPolicy resolved = resolve(alone, *Key::parse(key));
  PolicyPatch complete;
  complete.where = alone.exact.begin()->second.where;
  const auto fields = policy_fields();
  for (std::size_t i = 0; i < fields.size(); ++i)
    complete.entries.push_back(PatchEntry{&fields[i], fields[i].get(resolved.policy), resolved.origins[i].where});
  policies.exact.insert_or_assign(key, std::move(complete));
}

ReloadResult Runtime::offer(const PolicyFeed& from, const PolicyDocument& document) {
  auto offered = read_feed_document(document);
  if (!offered) return refused(std::move(offered.error()), document_refused);
  detail::MutexLock lock(applying_);
  if (assembly_->feed != &from) return from_replaced_feed(executor->generation(), "a document");
  Config config = assembly_->config;
  return apply_locked(config, std::move(*offered));
}

ReloadResult Runtime::offer_key(const PolicyFeed& from, const KeyPolicy& policy) {
  KeyedAnswers::Answer answer{.text = policy.text, .version = policy.version};
  if (policy.key == control_plane_key) {
    ConfigErrors errors;
    errors.errors.push_back(ConfigError{SourceLocation{policy.label, 1, 1}, "policies.\"" + policy.key + "\"",
                                        "the control plane's own key takes its policy from the local config only"});
    return refused(std::move(errors), document_refused);
  }
  if (policy.text) {
    auto patch = parse_policy_entry(*policy.text, policy.label, policy.key);
    if (!patch) return refused(std::move(patch.error()), document_refused);
    answer.patch = std::move(*patch);
  }
  detail::MutexLock lock(applying_);
  if (assembly_->feed != &from || assembly_->keyed_answers == nullptr)
    return from_replaced_feed(executor->generation(), "an answer");
  const std::shared_ptr<KeyedAnswers> answers = assembly_->keyed_answers;
  const AnswerLedger* running = assembly_->keyed_provider ? &assembly_->keyed_provider->ledger() : nullptr;
  KeyedAnswers::Stored stored = answers->store(policy.key, std::move(answer), running);
  if (!stored.replaces_running) return ReloadResult{.accepted = true, .generation = executor->generation()};
  Config config = assembly_->config;
  ReloadResult result = apply_locked(config, nullptr);
  // Refused, the running generation keeps the key's previous answer, and so must the answers:
  // else the same answer fetched again would look like no change and never be applied.
  if (!result.accepted) answers->put_back(policy.key, std::move(stored.previous));
  return result;
}

void Runtime::switch_feeds() {
  const std::lock_guard lock(switching_);
  const std::shared_ptr<const Assembly> now = running();
  PolicyFeed* next = now->feed;
  if (next == started_feed_) return;
  if (started_feed_ != nullptr) started_feed_->stop();  // its thread may be in offer(): not under applying_
  // Released only now: had the retired generation held the last reference, a caller's thread
  // could have destroyed the feed (its destructor joining the thread stop() joins) under us.
  const std::shared_ptr<PolicyProvider> stopped =
      std::exchange(started_provider_, next != nullptr ? now->provider : nullptr);
  started_feed_ = next;
  if (next == nullptr) return;
  if (!feed_host_) feed_host_ = std::make_unique<FeedHost>(*this);
  feed_host_->feed = next;
  next->start(*feed_host_);
}

namespace {

// PluginContext::feeds: a view of whatever feed the runtime runs now.
class RunningFeedStatus final : public FeedStatusSource {
 public:
  explicit RunningFeedStatus(const Runtime& runtime) : runtime_(runtime) {}
  std::optional<RunningFeed> running_feed() const override { return runtime_.running_feed(); }

 private:
  const Runtime& runtime_;
};

}  // namespace

Runtime::Runtime() : feed_status(std::make_unique<RunningFeedStatus>(*this)) {}

std::optional<RunningFeed> Runtime::running_feed() const {
  detail::MutexLock lock(assembly_mutex_);
  if (assembly_ == nullptr || assembly_->feed == nullptr) return std::nullopt;
  return RunningFeed{assembly_->config.provider ? assembly_->config.provider->plugin : std::string(),
                     assembly_->feed->status()};
}

Runtime::~Runtime() {
  const std::lock_guard lock(switching_);
  if (started_feed_ != nullptr) started_feed_->stop();
}

}  // namespace recourse::host
