// recourse.host.runtime:keyed_policies — the host's side of a per-key control plane
// (KeyedPolicyFeed): the answers the feed gave, shared by every generation of that feed, and
// each generation's provider, which asks the feed for a key it has no answer for and lays the
// answer over the local policies. A generation compiles a key once, so the provider notes what
// it answered each key with: a later answer that differs for a key already answered is what
// makes a new generation (Runtime::offer_key), and one for a key not yet answered is simply
// taken when the key is first compiled — a first call that waited for its fetch costs no reload.
module;
#include "recourse/mutex.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

export module recourse.host.runtime:keyed_policies;

import recourse.core;

namespace recourse::host {

// What a generation answered each key with: the answer's change number, 0 for none. Guarded
// by the KeyedAnswers it was noted by.
struct AnswerLedger {
  std::map<std::string, std::uint64_t, std::less<>> answered;
};

// The feed's accepted answers, by key. Thread-safe.
class KeyedAnswers {
 public:
  struct Answer {
    std::optional<PolicyPatch> patch;  // nullopt: the control plane has none for the key
    std::optional<std::string> text;   // as fetched: what a later answer is compared with
    std::string version;
    std::uint64_t change = 0;  // numbers the answers; 0 is "no answer yet"
  };

  bool has(std::string_view key) const;
  // The answer for `key` now (null: none), noted in `ledger` as what its generation answered.
  std::shared_ptr<const Answer> take(std::string_view key, AnswerLedger& ledger);
  struct Stored {
    // `running` (the running generation's ledger) answered the key with something else: the
    // running generation must be replaced for the key to see it.
    bool replaces_running = false;
    std::shared_ptr<const Answer> previous;  // to put back if that replacement is refused
  };
  // Keeps `answer` for `key`; an answer equal to the one kept (or "none" for a key without
  // one) changes nothing.
  Stored store(const std::string& key, Answer answer, const AnswerLedger* running);
  // Undoes a store whose new generation was refused: the running one still has `previous`.
  void put_back(const std::string& key, std::shared_ptr<const Answer> previous);

 private:
  mutable detail::Mutex mutex_;
  std::map<std::string, std::shared_ptr<const Answer>, std::less<>> answers_ RECOURSE_GUARDED_BY(mutex_);
  std::uint64_t changes_ RECOURSE_GUARDED_BY(mutex_) = 0;
};

// One generation's provider in per-key mode: the local policies (with the control plane's
// key), and over them, for each key the feed answered, its answer as the key's exact layer on
// top of the local one. A key's answer is remote; a key without one resolves locally, and a
// key no local layer matches either gets the executor's missing-policy mode.
class KeyedFeedProvider final : public PolicyProvider, public PreparingPolicyProvider {
 public:
  KeyedFeedProvider(PolicyTable local, std::shared_ptr<KeyedAnswers> answers, KeyedPolicyFeed& feed);

  // No answer yet: the feed fetches the key, and this waits for up to the feed's first_wait.
  void prepare(const Key& key) noexcept override;
  std::optional<ResolvedPolicy> policy_for(const Key& key) const override;
  // The policies `key` resolves against when the feed answered it (the local layers that can
  // match it, the answer over its own entry); nullopt when it has no answer. Not noted in the
  // ledger: for tools (`recourse explain`), not for compiling.
  std::optional<PolicyTable> answered_table(const Key& key) const;

  const PolicyTable& local() const noexcept { return local_.table(); }
  const std::shared_ptr<KeyedAnswers>& answers() const noexcept { return answers_; }
  // Read and written under answers()'s lock only.
  const AnswerLedger& ledger() const noexcept { return ledger_; }

 private:
  PolicyTable with_answer(const Key& key, const PolicyPatch& answer) const;

  const StaticPolicyProvider local_;  // what a key without an answer resolves against
  const std::shared_ptr<KeyedAnswers> answers_;
  KeyedPolicyFeed& feed_;
  mutable AnswerLedger ledger_;
};

}  // namespace recourse::host
