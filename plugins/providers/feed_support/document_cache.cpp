// document_cache.hpp. The file is the document itself after one comment line that carries its
// version ("# recourse saved policy document, version: …"), so it is still a TOML file a person
// can read, and `recourse validate` can check. Copies written before the cache was shared say
// "# recourse-http-provider version: …" and are still read with their version.
#include "document_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace recourse::plugins {
namespace {

constexpr std::string_view header = "# recourse saved policy document, version: ";
constexpr std::string_view http_provider_header = "# recourse-http-provider version: ";

std::string failed(std::string_view what, const std::filesystem::path& file) {
  return std::string(what) + " " + file.string() + ": " + std::strerror(errno);
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::string save_document(const std::filesystem::path& file, const CachedDocument& document) {
  const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  std::string temp = (dir / ("." + file.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return failed("cannot create a temporary file beside", file);
  std::string version = document.version;
  std::erase(version, '\n');
  const bool written =
      write_all(fd, std::string(header) + version + "\n") && write_all(fd, document.text) && ::fsync(fd) == 0;
  std::string write_error = written ? std::string() : failed("cannot write", temp);
  ::close(fd);
  if (!written) {
    ::unlink(temp.c_str());
    return write_error;
  }
  if (::rename(temp.c_str(), file.c_str()) != 0) {
    std::string error = failed("cannot rename the saved document to", file);
    ::unlink(temp.c_str());
    return error;
  }
  if (const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY); dir_fd >= 0) {
    ::fsync(dir_fd);  // the rename itself, durable
    ::close(dir_fd);
  }
  return {};
}

std::optional<CachedDocument> load_document(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream bytes;
  bytes << in.rdbuf();
  std::string text = bytes.str();
  CachedDocument document;
  for (const std::string_view first_line : {header, http_provider_header}) {
    if (!text.starts_with(first_line)) continue;
    const auto end = text.find('\n');
    document.version =
        text.substr(first_line.size(), end == std::string::npos ? std::string::npos : end - first_line.size());
    break;
  }
  document.text = std::move(text);  // the comment line stays: TOML ignores it, and lines keep their numbers
  return document;
}

}  // namespace recourse::plugins
