// Runtime::watch: inotify on the config file's directory, debounced, reloading when the file's
// bytes change (see runtime.cppm).
//
// The directory, not the file, is watched: an editor that writes a temporary file and renames
// it over the config replaces the inode a file watch would follow, and a Kubernetes ConfigMap
// volume never touches the file at all — it swaps the `..data` symlink the file resolves
// through. Any event in the directory starts the debounce; what decides is whether the bytes
// the path now leads to differ from the last ones read, so unrelated files, a `touch`, or a
// swap to identical content reload nothing.
module;
#include "recourse/mutex.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <expected>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include "../plugins/path_safety.hpp"  // UniqueFd

module recourse.host.runtime;

namespace recourse::host {
namespace {

// The file's bytes, or nullopt while it cannot be read (mid-swap, or removed).
std::optional<std::string> contents_of(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

}  // namespace

struct ConfigWatch::State {
  Runtime* runtime = nullptr;
  std::filesystem::path file;
  WatchOptions options;
  UniqueFd inotify;
  UniqueFd wake;  // an eventfd: written to stop the thread
  std::optional<std::string> last;
  std::jthread thread;

  // Wakes the thread and joins it before the descriptors close.
  ~State() {
    if (!thread.joinable()) return;
    const std::uint64_t one = 1;
    (void)!::write(wake.get(), &one, sizeof one);
    thread.join();
  }

  // Drains pending inotify events; true if there were any.
  bool drain() const {
    alignas(inotify_event) char buffer[16 * 1024];
    bool any = false;
    for (;;) {
      const ssize_t n = ::read(inotify.get(), buffer, sizeof buffer);
      if (n <= 0) return any;  // EAGAIN: nothing more
      any = true;
    }
  }

  void run(std::stop_token stop) {
    pollfd fds[2] = {{inotify.get(), POLLIN, 0}, {wake.get(), POLLIN, 0}};
    bool pending = false;
    while (!stop.stop_requested()) {
      const int timeout = pending ? static_cast<int>(options.debounce.count()) : -1;
      const int ready = ::poll(fds, 2, timeout);
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0 || (fds[1].revents & POLLIN) != 0) return;
      if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
        pending = drain() || pending;
        continue;  // quiet for a whole debounce period first
      }
      if (!pending) continue;
      pending = false;
      std::optional<std::string> now = contents_of(file);
      if (!now || now == last) continue;
      last = std::move(now);
      const ReloadResult result = runtime->reload();
      if (options.on_result) {
        try {
          options.on_result(result);
        } catch (...) {
          // The caller's callback; the watch goes on.
        }
      }
    }
  }
};

ConfigWatch::ConfigWatch(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
ConfigWatch::ConfigWatch(ConfigWatch&&) noexcept = default;
ConfigWatch& ConfigWatch::operator=(ConfigWatch&&) noexcept = default;
ConfigWatch::~ConfigWatch() = default;

std::expected<ConfigWatch, std::string> Runtime::watch(WatchOptions options) {
  const std::filesystem::path file = running()->config.file;
  if (file.empty())
    return std::unexpected(std::string("the running config was not read from a file: nothing to watch"));
  auto state = std::make_unique<ConfigWatch::State>();
  state->runtime = this;
  state->file = file;
  state->options = std::move(options);
  state->last = contents_of(file);
  state->inotify = UniqueFd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (state->inotify.get() < 0) return std::unexpected("inotify_init1: " + std::string(std::strerror(errno)));
  state->wake = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (state->wake.get() < 0) return std::unexpected("eventfd: " + std::string(std::strerror(errno)));
  const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  constexpr std::uint32_t events =
      IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB;
  if (::inotify_add_watch(state->inotify.get(), dir.c_str(), events) < 0)
    return std::unexpected("watching " + dir.string() + ": " + std::strerror(errno));
  ConfigWatch::State* raw = state.get();
  raw->thread = std::jthread([raw](std::stop_token stop) { raw->run(stop); });
  return ConfigWatch(std::move(state));
}

}  // namespace recourse::host
