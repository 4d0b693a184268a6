// The `http` provider's copy of its last good document on disk, so a process that starts while
// the control plane is down starts from it (source = last_known_good) instead of from nothing.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace recourse::plugins::http_provider {

struct CachedDocument {
  std::string text;
  std::string etag;  // the version it had, from the first line of the file
};

// Written atomically: a temporary file in the same directory, fsync'd, renamed over the old
// copy, the directory fsync'd — a crash leaves the old copy or the new one, never half of
// either. Returns an error message, or empty.
std::string save_document(const std::filesystem::path& file, const CachedDocument& document);
std::optional<CachedDocument> load_document(const std::filesystem::path& file);

}  // namespace recourse::plugins::http_provider
