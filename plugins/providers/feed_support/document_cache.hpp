// A feed provider's copy of its last good document on disk (`cache_file`), so a process that
// starts while the control plane (an HTTP server, etcd) is down starts from it (source =
// last_known_good) instead of from nothing. Shared by the http and etcd providers.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace recourse::plugins {

struct CachedDocument {
  std::string text;
  // The version it had (an HTTP ETag, an etcd mod revision), from the first line of the file.
  std::string version;
};

// Written atomically: a temporary file in the same directory, fsync'd, renamed over the old
// copy, the directory fsync'd — a crash leaves the old copy or the new one, never half of
// either. Returns an error message, or empty.
std::string save_document(const std::filesystem::path& file, const CachedDocument& document);
std::optional<CachedDocument> load_document(const std::filesystem::path& file);

}  // namespace recourse::plugins
