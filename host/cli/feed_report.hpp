// What `recourse plugins` and `recourse explain` show of a config whose [provider] is a feed (a
// control plane): the runtime is built and started once — so the feed fetches, waiting its
// initial_wait for a document — and the feed's state and the document in force are read off it.
// Include after `import recourse.host.runtime;` (the declarations name its types).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "json_output.hpp"

namespace recourse::cli {

struct FeedReport {
  std::string plugin;
  FeedStatus status;
  std::uint64_t generation = 0;
  std::optional<double> seconds_since_good;  // staleness; none before the first good document
  std::vector<std::string> errors;           // why the runtime did not start
  std::optional<host::FeedDocument> document;  // the document in force (fetched or saved), if any
  // A per-key feed: `document` is the policies of the key asked for, when the feed answered it.
  bool per_key = false;
};

// Nothing when the config has no [provider] or its provider is not a feed. A per-key feed is
// asked for `key` (waiting its first_wait, as a first call does), when one is given.
std::optional<FeedReport> feed_report(const host::Config& config, const std::optional<Key>& key = std::nullopt);

void print_feed_text(const FeedReport& feed);
// A "provider" member of the object being written.
void print_feed_json(JsonOutput& json, const FeedReport& feed);

}  // namespace recourse::cli
