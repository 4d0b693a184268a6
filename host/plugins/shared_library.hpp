// A plugin library loaded from an already opened and checked descriptor, through
// /proc/<pid>/fd/N, so the loader maps exactly the file the checks judged. Plain dlopen rather
// than Boost.DLL: Boost.DLL 1.74 reports every dlopen failure as "Bad file descriptor", and the
// loader's own dlerror() text ("undefined symbol: …", "cannot dynamically load
// position-independent executable") is what the user needs. Objects a plugin creates hold a
// shared_ptr to their SharedLibrary (see PluginSet::create), so it outlives them.
//
//   auto library = SharedLibrary::open(std::move(opened));   // OpenedPath from open_checked
//   if (!library) refuse(library.error());                   // the loader's own words
//   void* symbol = (*library)->symbol("recourse_plugin_descriptor");
#pragma once

#include <expected>
#include <memory>
#include <string>

#include "path_safety.hpp"

namespace recourse::host {

class SharedLibrary {
 public:
  // Loads the library with RTLD_NOW | RTLD_LOCAL. The descriptor stays open as long as the
  // library: the loader knows the library by the name /proc/<pid>/fd/N, and glibc hands out an
  // already loaded library by name alone, so the number must not be reused while that name is
  // known. The same file (device and inode) already loaded by this process is shared, not
  // loaded a second time.
  static std::expected<std::shared_ptr<SharedLibrary>, std::string> open(OpenedPath file);

  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;
  ~SharedLibrary();

  void* symbol(const char* name) const noexcept;

 private:
  SharedLibrary(void* handle, UniqueFd fd, std::string name, dev_t device, ino_t inode) noexcept;

  void* handle_;
  UniqueFd fd_;
  std::string name_;  // the /proc path the loader knows it by
  dev_t device_;
  ino_t inode_;
};

}  // namespace recourse::host
