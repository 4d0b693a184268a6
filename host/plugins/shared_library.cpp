// SharedLibrary (see shared_library.hpp). The registry keeps one SharedLibrary per loaded file,
// so a second PluginSet (a reload) shares the library instead of making glibc alias a second
// /proc name to it; that alias would outlive the second name's descriptor and hand the library
// to whatever file reuses the number.
#include "shared_library.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <utility>

namespace recourse::host {
namespace {

struct Registry {
  // Recursive: a plugin's static destructors, run by dlclose under the lock, may release
  // objects of another plugin.
  std::recursive_mutex mutex;
  std::map<std::pair<dev_t, ino_t>, std::weak_ptr<SharedLibrary>> loaded;
};

// Never destroyed: libraries held by static objects are released during exit, after any
// static registry would already be gone.
Registry& registry() {
  static Registry* const instance = new Registry;
  return *instance;
}

// dlerror() text without the /proc name it starts with (the caller names the real file).
std::string loader_message(const std::string& name) {
  const char* error = ::dlerror();
  std::string text = error != nullptr ? error : "unknown error";
  if (text.starts_with(name + ": ")) text.erase(0, name.size() + 2);
  return text;
}

}  // namespace

SharedLibrary::SharedLibrary(void* handle, UniqueFd fd, std::string name, dev_t device, ino_t inode) noexcept
    : handle_(handle), fd_(std::move(fd)), name_(std::move(name)), device_(device), inode_(inode) {}

std::expected<std::shared_ptr<SharedLibrary>, std::string> SharedLibrary::open(OpenedPath file) {
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  const auto key = std::pair{file.device, file.inode};
  if (const auto it = r.loaded.find(key); it != r.loaded.end())
    if (auto existing = it->second.lock()) return existing;
  std::string name = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(file.fd.get());
  ::dlerror();
  void* handle = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    std::string why = "the dynamic loader refused it: " + loader_message(name);
    if (::access(("/proc/" + std::to_string(::getpid()) + "/fd").c_str(), F_OK) != 0)
      why += " (plugins are loaded through /proc/<pid>/fd/N, and /proc is not mounted)";
    return std::unexpected(std::move(why));
  }
  std::shared_ptr<SharedLibrary> library(
      new SharedLibrary(handle, std::move(file.fd), std::move(name), file.device, file.inode));
  r.loaded[key] = library;
  return library;
}

SharedLibrary::~SharedLibrary() {
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  ::dlclose(handle_);
  // Still loaded (marked NODELETE, or loaded by someone else too): the loader keeps answering to
  // this name, so keep the descriptor number taken for the rest of the process.
  if (void* still = ::dlopen(name_.c_str(), RTLD_NOLOAD | RTLD_LAZY); still != nullptr) {
    ::dlclose(still);
    (void)fd_.release();
  }
  if (const auto it = r.loaded.find({device_, inode_}); it != r.loaded.end() && it->second.expired())
    r.loaded.erase(it);
}

void* SharedLibrary::symbol(const char* name) const noexcept { return ::dlsym(handle_, name); }

}  // namespace recourse::host
