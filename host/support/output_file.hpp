// An append-only output file for the jsonl and trace observers (header-only). A raw POSIX
// descriptor rather than a stream: each write() goes straight to the kernel, so a call's
// record is on disk when the callback returns ("flush per call") and another process reading
// the file never sees a half-buffered line; and open failures keep their errno for the message.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace recourse::support {

class OutputFile {
 public:
  enum class Mode { append, truncate };

  OutputFile() = default;
  OutputFile(OutputFile&& other) noexcept
      : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), size_(other.size_) {}
  OutputFile& operator=(OutputFile&& other) noexcept {
    if (this != &other) {
      close();
      path_ = std::move(other.path_);
      fd_ = std::exchange(other.fd_, -1);
      size_ = other.size_;
    }
    return *this;
  }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile() { close(); }

  // The file, or "cannot open \"<path>\": <OS error>".
  static std::expected<OutputFile, std::string> open(std::string path, Mode mode) {
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (mode == Mode::append ? O_APPEND : O_TRUNC);
    OutputFile file;
    file.fd_ = ::open(path.c_str(), flags, 0644);
    if (file.fd_ < 0) return std::unexpected(describe("cannot open", path, errno));
    struct stat info{};
    if (::fstat(file.fd_, &info) != 0) return std::unexpected(describe("cannot stat", path, errno));
    if (!S_ISREG(info.st_mode)) return std::unexpected("cannot write to \"" + path + "\": not a regular file");
    file.size_ = static_cast<std::uint64_t>(info.st_size);
    file.path_ = std::move(path);
    return file;
  }

  // Writes all of `data`; throws std::system_error naming the path (observer callbacks may
  // throw: the executor counts it and the call is unaffected).
  void write(std::string_view data) {
    while (!data.empty()) {
      const ::ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::system_error(n < 0 ? errno : EIO, std::generic_category(), "writing \"" + path_ + "\"");
      data.remove_prefix(static_cast<std::size_t>(n));
      size_ += static_cast<std::uint64_t>(n);
    }
  }

  void close() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool is_open() const noexcept { return fd_ >= 0; }
  std::uint64_t size() const noexcept { return size_; }
  const std::string& path() const noexcept { return path_; }

  static std::string describe(std::string_view what, std::string_view path, int error) {
    return std::string(what) + " \"" + std::string(path) + "\": " + std::generic_category().message(error);
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace recourse::support
