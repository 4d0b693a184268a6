// The per-key control plane's answers and the provider that serves them (keyed_policies.cppm).
module;
#include "recourse/mutex.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

module recourse.host.runtime;

namespace recourse::host {

using detail::MutexLock;

bool KeyedAnswers::has(std::string_view key) const {
  MutexLock lock(mutex_);
  return answers_.contains(key);
}

std::shared_ptr<const KeyedAnswers::Answer> KeyedAnswers::take(std::string_view key, AnswerLedger& ledger) {
  MutexLock lock(mutex_);
  const auto it = answers_.find(key);
  std::shared_ptr<const Answer> answer = it != answers_.end() ? it->second : nullptr;
  ledger.answered.insert_or_assign(std::string(key), answer ? answer->change : 0);
  return answer;
}

KeyedAnswers::Stored KeyedAnswers::store(const std::string& key, Answer answer, const AnswerLedger* running) {
  MutexLock lock(mutex_);
  const auto kept = answers_.find(key);
  std::shared_ptr<const Answer> previous = kept != answers_.end() ? kept->second : nullptr;
  // "None" and "no answer yet" resolve alike (the local layers), so they are equal here.
  const std::optional<std::string> before = previous ? previous->text : std::nullopt;
  if (previous && before == answer.text) {  // the same policy, perhaps under a new ETag
    answer.change = previous->change;
    kept->second = std::make_shared<const Answer>(std::move(answer));
    return {};
  }
  answer.change = ++changes_;
  const bool differs = before != answer.text;
  answers_.insert_or_assign(key, std::make_shared<const Answer>(std::move(answer)));
  return {differs && running != nullptr && running->answered.contains(key), std::move(previous)};
}

void KeyedAnswers::put_back(const std::string& key, std::shared_ptr<const Answer> previous) {
  MutexLock lock(mutex_);
  if (previous) answers_.insert_or_assign(key, std::move(previous));
  else answers_.erase(key);
}

KeyedFeedProvider::KeyedFeedProvider(PolicyTable local, std::shared_ptr<KeyedAnswers> answers, KeyedPolicyFeed& feed)
    : local_(std::move(local)), answers_(std::move(answers)), feed_(feed) {}

void KeyedFeedProvider::prepare(const Key& key) noexcept {
  // The control plane's own key is never fetched: its policy is what fetches. A key with an
  // answer (carried over a reload that replaced the feed) is followed without waiting.
  if (key.str() == control_plane_key) return;
  feed_.request(key.str(), !answers_->has(key.str()));
}

std::optional<ResolvedPolicy> KeyedFeedProvider::policy_for(const Key& key) const {
  const std::shared_ptr<const KeyedAnswers::Answer> answer =
      key.str() == control_plane_key ? nullptr : answers_->take(key.str(), ledger_);
  if (answer == nullptr || !answer->patch) return local_.policy_for(key);
  return resolve(with_answer(key, *answer->patch), key);
}

std::optional<PolicyTable> KeyedFeedProvider::answered_table(const Key& key) const {
  AnswerLedger unnoted;
  const std::shared_ptr<const KeyedAnswers::Answer> answer = answers_->take(key.str(), unnoted);
  if (answer == nullptr || !answer->patch) return std::nullopt;
  return with_answer(key, *answer->patch);
}

// The local layers that can match, and the answer laid over the key's own local entry.
PolicyTable KeyedFeedProvider::with_answer(const Key& key, const PolicyPatch& answer) const {
  const PolicyTable& local = local_.table();
  PolicyTable table;
  table.source = PolicySource::remote;
  table.defaults = local.defaults;
  table.namespaces = local.namespaces;
  PolicyPatch exact = answer;
  if (const auto own = local.exact.find(key.str()); own != local.exact.end())
    exact.entries.insert(exact.entries.begin(), own->second.entries.begin(), own->second.entries.end());
  table.exact.emplace(key.str(), std::move(exact));
  return table;
}

}  // namespace recourse::host
