// Opening a plugin path safely (the OpenSSH/sudo rule). The path is resolved one component at a
// time from `/`, following each symlink hop by hand, and every directory passed through — of the
// path as written and of every symlink's target — must be owned by root or this user and not
// writable by group or others; a root-owned sticky directory (like /tmp) is accepted as an
// ancestor only, since the next component, itself checked, cannot be replaced by others there.
// Symlinks must be owned by root or this user. Each component is opened with O_NOFOLLOW and
// judged by fstat on that descriptor, and the last one is returned open: what was checked is
// what the caller reads and loads (no check-then-use window).
//
//   auto opened = open_checked(dir / "librecourse-http.so", PathKind::regular_file, /*enforce=*/true);
//   if (!opened) refuse(opened.error());   // "refused: the directory /srv/ww above it is writable…"
//
// With enforce = false (allow_insecure) ownership and modes are not judged, but the walk, the
// file type checks and the messages for missing, dangling or looping paths are the same.
#pragma once

#include <sys/types.h>

#include <expected>
#include <filesystem>
#include <string>

namespace recourse::host {

// An owned file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

enum class PathKind { directory, regular_file };

struct OpenedPath {
  UniqueFd fd;                  // O_RDONLY | O_CLOEXEC (| O_DIRECTORY, or | O_NONBLOCK for a file)
  std::filesystem::path real;   // the resolved path that was opened, without symlinks
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
};

// Opens `path` as described above. Every failure is one sentence: a security refusal ends with
// the allow_insecure hint; the others say what is wrong ("does not exist", "is a dangling
// symlink: …", "is not a directory", "is not a regular file (a FIFO)…").
std::expected<OpenedPath, std::string> open_checked(const std::filesystem::path& path, PathKind kind, bool enforce);

}  // namespace recourse::host
