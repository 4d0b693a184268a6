// Reading a config file's bytes (see config.cppm): only a regular file, at most
// max_config_bytes. The file is opened non-blocking, so a FIFO answers at once instead of
// waiting for a writer, and the opened descriptor is what is checked and read, so what was
// checked is what is read. Files in /proc report size 0: the limit holds on the bytes read.
module;
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_type.hpp"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <expected>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

module recourse.host.config;

namespace recourse::host {
namespace {

std::string errno_text(int error) { return std::error_code(error, std::generic_category()).message(); }

class Descriptor {
 public:
  explicit Descriptor(int fd) noexcept : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

std::string too_large(std::string_view size) {
  return "cannot read config file: it is larger than the limit of " + std::to_string(max_config_bytes / (1024 * 1024)) +
         " MiB (" + std::string(size) + "); a config is policy text";
}

std::expected<std::string, std::string> read_regular_file(const std::filesystem::path& file) {
  const Descriptor fd(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) return std::unexpected("cannot read config file: " + errno_text(errno));
  struct stat status{};
  if (::fstat(fd.get(), &status) != 0) return std::unexpected("cannot read config file: " + errno_text(errno));
  if (!S_ISREG(status.st_mode))
    return std::unexpected("cannot read config file: it is " + std::string(support::file_type_name(status.st_mode)) +
                           "; a config must be a regular file");
  if (status.st_size > static_cast<off_t>(max_config_bytes))
    return std::unexpected(too_large(std::to_string(status.st_size) + " bytes"));
  std::string text;
  text.resize(static_cast<std::size_t>(status.st_size) + 1);  // one more, to see the end
  std::size_t used = 0;
  for (;;) {
    if (used == text.size()) {
      if (text.size() > max_config_bytes) return std::unexpected(too_large("reading went past it"));
      text.resize(std::min(text.size() * 2 + 4096, max_config_bytes + 1));
    }
    const ssize_t got = ::read(fd.get(), text.data() + used, text.size() - used);
    if (got < 0) {
      if (errno == EINTR) continue;
      return std::unexpected("cannot read config file: " + errno_text(errno));
    }
    if (got == 0) break;
    used += static_cast<std::size_t>(got);
  }
  if (used > max_config_bytes) return std::unexpected(too_large("reading went past it"));
  text.resize(used);
  return text;
}

}  // namespace

ConfigReading read_config_file(const std::filesystem::path& file, std::span<const std::string_view> extra_tables,
                               std::span<const std::string> overrides) {
  auto text = read_regular_file(file);
  if (!text) {
    ConfigReading reading;
    reading.errors.errors.push_back(ConfigError{SourceLocation{file.string(), 0, 0}, "", std::move(text.error())});
    return reading;
  }
  ConfigReading reading = read_config_text(*text, file.string(), extra_tables, overrides);
  reading.config.file = file;
  return reading;
}

std::expected<Config, ConfigErrors> load_config(const std::filesystem::path& file,
                                                std::span<const std::string_view> extra_tables,
                                                std::span<const std::string> overrides) {
  ConfigReading reading = read_config_file(file, extra_tables, overrides);
  if (!reading.errors.errors.empty()) return std::unexpected(std::move(reading.errors));
  return std::move(reading.config);
}

std::expected<PolicyTable, std::vector<ConfigError>> ConfigPolicyFiles::read(const std::filesystem::path& file) const {
  auto config = load_config(file);
  if (!config) return std::unexpected(std::move(config.error().errors));
  return std::move(config->policies);
}

}  // namespace recourse::host
