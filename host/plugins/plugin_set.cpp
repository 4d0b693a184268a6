// Loading plugins (see plugins.cppm): discovery under [plugins] paths, then for each file the
// checks that need none of its code — a safe path (path_safety), a regular file of sane size,
// a sound ELF image carrying a stamp whose ABI and fingerprint match (elf_precheck) — then
// dlopen of that same descriptor (shared_library), the descriptor check as a second line, and
// component creation with the library kept alive by each object.
module;
#include <dirent.h>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "elf_precheck.hpp"
#include "recourse/fingerprint.h"
#include "path_safety.hpp"
#include "shared_library.hpp"

module recourse.host.plugins;

namespace recourse::host {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view descriptor_symbol = "recourse_plugin_descriptor";

// Far above any real plugin (a debug build of the largest is a few MiB); the whole file is read
// into memory for the pre-check, so a runaway file must not be.
constexpr std::uint64_t max_plugin_bytes = 256ull << 20;

struct Loaded {
  std::shared_ptr<SharedLibrary> library;
  const PluginDescriptor* descriptor;
  std::size_t info_index;
};

using FileId = std::pair<dev_t, ino_t>;

// The whole file, read from the descriptor that will be loaded. Fewer bytes than fstat said (a
// file shrinking under us) is what the pre-check then judges.
std::expected<std::vector<std::byte>, std::string> read_all(int fd, std::uint64_t size) {
  std::vector<std::byte> bytes(static_cast<std::size_t>(size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = ::pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::unexpected("cannot read it: " + std::string(std::strerror(errno)));
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  bytes.resize(done);
  return bytes;
}

// Names in the directory `dir` (already opened and checked) that look like plugins, sorted.
std::vector<std::string> plugin_names(int dir) {
  std::vector<std::string> names;
  const int listing = ::fcntl(dir, F_DUPFD_CLOEXEC, 0);
  if (listing < 0) return names;
  DIR* stream = ::fdopendir(listing);
  if (stream == nullptr) {
    ::close(listing);
    return names;
  }
  while (const dirent* entry = ::readdir(stream)) {
    const std::string_view name = entry->d_name;
    if (name.starts_with("librecourse-") && name.ends_with(".so")) names.emplace_back(name);
  }
  ::closedir(stream);
  std::ranges::sort(names);
  return names;
}

// The first pointer field of the descriptor's header that is null, named; nullopt when all are set.
std::optional<std::string> malformed(const PluginDescriptor& d) {
  const BuildFingerprint& f = d.fingerprint;
  if (f.compiler == nullptr) return "fingerprint.compiler";
  if (f.standard_library == nullptr) return "fingerprint.standard_library";
  if (f.recourse_version == nullptr) return "fingerprint.recourse_version";
  if (d.name == nullptr) return "name";
  if (d.version == nullptr) return "version";
  return std::nullopt;
}

// What is wrong with the component list, read only once the ABI is known to match (its layout
// is the ABI's); nullopt when every component has a name and exactly its category's factory.
std::optional<std::string> malformed_components(const PluginDescriptor& d) {
  if (d.component_count > 0 && d.components == nullptr) return "components is null";
  for (std::size_t i = 0; i < d.component_count; ++i) {
    const PluginComponent& c = d.components[i];
    const std::string at = "components[" + std::to_string(i) + "]";
    if (c.name == nullptr) return at + ".name is null";
    if (!has_factory(c))
      return at + " (\"" + c.name + "\", " + std::string(to_string(c.category)) +
             ") must set exactly the factory of its category";
  }
  return std::nullopt;
}

std::string describe(const BuildFingerprint& f) {
  return std::string(f.compiler) + ", C++ " + std::to_string(f.cxx_standard) + ", " + f.standard_library +
         " (cxx11 ABI " + std::to_string(f.cxx11_abi) + "), recourse " + f.recourse_version;
}

// The first fingerprint field that differs, named; nullopt when they match.
std::optional<std::string> mismatch(const BuildFingerprint& plugin, const BuildFingerprint& core) {
  const auto field = [](std::string_view name, std::string_view theirs, std::string_view ours) {
    return std::string(name) + " differs: plugin built with " + std::string(theirs) + ", host with " + std::string(ours);
  };
  if (std::string_view(plugin.compiler) != core.compiler) return field("compiler", plugin.compiler, core.compiler);
  if (plugin.cxx_standard != core.cxx_standard)
    return field("C++ standard", std::to_string(plugin.cxx_standard), std::to_string(core.cxx_standard));
  if (std::string_view(plugin.standard_library) != core.standard_library)
    return field("standard library", plugin.standard_library, core.standard_library);
  if (plugin.cxx11_abi != core.cxx11_abi)
    return field("standard library ABI flag", std::to_string(plugin.cxx11_abi), std::to_string(core.cxx11_abi));
  if (std::string_view(plugin.recourse_version) != core.recourse_version)
    return field("recourse version", plugin.recourse_version, core.recourse_version);
  return std::nullopt;
}

// Why a plugin declaring ABI major.minor cannot load here, or nullopt: the major must be the
// host's, the minor no newer (an addition the host does not have).
std::optional<std::string> incompatible_abi(std::uint32_t major, std::uint32_t minor) {
  if (major == plugin_abi_major && minor <= plugin_abi_minor) return std::nullopt;
  return "plugin ABI " + std::to_string(major) + "." + std::to_string(minor) + " is not compatible with the host's " +
         std::to_string(plugin_abi_major) + "." + std::to_string(plugin_abi_minor);
}

}  // namespace

struct PluginSet::State {
  std::vector<PluginInfo> plugins;
  std::vector<PluginRefusal> refusals;
  std::vector<Loaded> loaded;

  const Loaded* owner(ComponentCategory category, std::string_view name, const PluginComponent** component) const {
    for (const Loaded& l : loaded)
      for (std::size_t i = 0; i < l.descriptor->component_count; ++i) {
        const PluginComponent& c = l.descriptor->components[i];
        if (c.category == category && name == c.name) {
          if (component != nullptr) *component = &c;
          return &l;
        }
      }
    return nullptr;
  }

  void refuse(const fs::path& file, std::string reason) { refusals.push_back({file, std::move(reason)}); }

  std::set<FileId> seen;  // files already tried: one file reached by two paths is one plugin

  // Everything that can be judged without running any of the file's code; the open, checked
  // descriptor to load on success.
  std::optional<OpenedPath> precheck(const fs::path& file, bool allow_insecure) {
    auto opened = open_checked(file, PathKind::regular_file, !allow_insecure);
    if (!opened) {
      refuse(file, std::move(opened.error()));
      return std::nullopt;
    }
    if (!seen.insert({opened->device, opened->inode}).second) return std::nullopt;
    if (static_cast<std::uint64_t>(opened->size) > max_plugin_bytes) {
      refuse(file, "is " + std::to_string(opened->size) + " bytes, more than the " +
                       std::to_string(max_plugin_bytes >> 20) + " MiB a plugin may be");
      return std::nullopt;
    }
    auto bytes = read_all(opened->fd.get(), static_cast<std::uint64_t>(opened->size));
    if (!bytes) {
      refuse(file, std::move(bytes.error()));
      return std::nullopt;
    }
    const auto facts = precheck_elf(*bytes);
    if (!facts) {
      refuse(file, facts.error());
      return std::nullopt;
    }
    // Checked from the file's stamp, before dlopen: none of the plugin's code has run.
    const PluginStampFacts& stamp = facts->stamp;
    if (auto why = incompatible_abi(stamp.abi_major, stamp.abi_minor)) {
      refuse(file, *why + " (read from its " RECOURSE_PLUGIN_STAMP_SECTION " section; none of its code was run)");
      return std::nullopt;
    }
    const BuildFingerprint theirs{stamp.compiler.c_str(), static_cast<long>(stamp.cxx_standard),
                                  stamp.standard_library.c_str(), stamp.cxx11_abi, stamp.recourse_version.c_str()};
    if (auto why = mismatch(theirs, core_fingerprint())) {
      refuse(file, "build fingerprint mismatch: " + *why + " (read from its " RECOURSE_PLUGIN_STAMP_SECTION
                   " section; none of its code was run)");
      return std::nullopt;
    }
    return std::move(*opened);
  }

  void try_load(const fs::path& file, bool allow_insecure) {
    auto opened = precheck(file, allow_insecure);
    if (!opened) return;
    auto library = SharedLibrary::open(std::move(*opened));
    if (!library) {
      refuse(file, "not a loadable shared object: " + library.error());
      return;
    }
    // The second line: the descriptor is plugin code, and must agree with the stamp's promise.
    void* symbol = (*library)->symbol(descriptor_symbol.data());
    if (symbol == nullptr) {
      refuse(file, "not a recourse plugin: no " + std::string(descriptor_symbol) + " symbol");
      return;
    }
    const auto descriptor_fn = reinterpret_cast<const PluginDescriptor* (*)() noexcept>(symbol);
    const PluginDescriptor* d = descriptor_fn();
    if (d == nullptr) {
      refuse(file, "its descriptor function returned null");
      return;
    }
    if (auto field = malformed(*d)) {
      refuse(file, "malformed descriptor: " + *field + " is null");
      return;
    }
    if (auto why = incompatible_abi(d->abi_major, d->abi_minor)) {
      refuse(file, *why + " (in its descriptor)");
      return;
    }
    if (auto why = mismatch(d->fingerprint, core_fingerprint())) {
      refuse(file, "build fingerprint mismatch: " + *why + " (in its descriptor)");
      return;
    }
    if (auto why = malformed_components(*d)) {
      refuse(file, "malformed descriptor: " + *why);
      return;
    }
    for (std::size_t i = 0; i < d->component_count; ++i) {
      const PluginComponent& c = d->components[i];
      for (std::size_t j = 0; j < i; ++j)
        if (d->components[j].category == c.category && std::string_view(d->components[j].name) == c.name) {
          refuse(file, "declares " + std::string(to_string(c.category)) + " \"" + c.name + "\" twice");
          return;
        }
      if (const Loaded* other = owner(c.category, c.name, nullptr)) {
        refuse(file, "duplicate component: " + std::string(to_string(c.category)) + " \"" + c.name +
                         "\" is already provided by " + plugins[other->info_index].file.string());
        return;
      }
    }
    PluginInfo info{file, d->name, d->version, describe(d->fingerprint), {}};
    for (std::size_t i = 0; i < d->component_count; ++i)
      info.components.emplace_back(d->components[i].category, d->components[i].name);
    plugins.push_back(std::move(info));
    loaded.push_back(Loaded{std::move(*library), d, plugins.size() - 1});
  }
};

PluginSet::PluginSet() : state_(std::make_unique<State>()) {}
PluginSet::~PluginSet() = default;
PluginSet::PluginSet(PluginSet&&) noexcept = default;
PluginSet& PluginSet::operator=(PluginSet&&) noexcept = default;

PluginSet PluginSet::load(const PluginSettings& settings) {
  PluginSet set;
  State& s = *set.state_;
  std::vector<fs::path> candidates;
  std::set<FileId> directories;  // one directory named twice (or through a symlink) is listed once
  for (const fs::path& dir : settings.paths) {
    auto opened = open_checked(dir, PathKind::directory, !settings.allow_insecure);
    if (!opened) {
      s.refuse(dir, std::move(opened.error()));
      continue;
    }
    if (!directories.insert({opened->device, opened->inode}).second) continue;
    for (const std::string& name : plugin_names(opened->fd.get())) candidates.push_back(dir / name);
  }
  if (settings.load) {
    for (const std::string& name : *settings.load) {
      const std::string file_name = "librecourse-" + name + ".so";
      const auto it = std::ranges::find_if(candidates, [&](const fs::path& p) { return p.filename() == file_name; });
      if (it == candidates.end()) s.refuse(file_name, "plugin \"" + name + "\" not found in any [plugins] path");
      else s.try_load(*it, settings.allow_insecure);
    }
  } else {
    for (const fs::path& file : candidates) s.try_load(file, settings.allow_insecure);
  }
  return set;
}

const std::vector<PluginInfo>& PluginSet::plugins() const noexcept { return state_->plugins; }
const std::vector<PluginRefusal>& PluginSet::refusals() const noexcept { return state_->refusals; }

bool PluginSet::provides(ComponentCategory category, std::string_view name) const noexcept {
  return state_->owner(category, name, nullptr) != nullptr;
}

std::vector<std::string> PluginSet::names(ComponentCategory category) const {
  std::vector<std::string> names;
  for (const PluginInfo& info : state_->plugins)
    for (const auto& [c, n] : info.components)
      if (c == category) names.push_back(n);
  return names;
}

std::expected<PluginSet::Found, std::vector<ConfigError>> PluginSet::find(ComponentCategory category,
                                                                          std::string_view name,
                                                                          const ComponentContext& context) const {
  const PluginComponent* component = nullptr;
  const Loaded* owner = state_->owner(category, name, &component);
  if (owner == nullptr) {
    std::string known;
    for (const std::string& n : names(category)) known.append(known.empty() ? "" : ", ").append(n);
    return std::unexpected(std::vector<ConfigError>{context.config.error(
        "", "no " + std::string(to_string(category)) + " plugin named \"" + std::string(name) +
                "\"; loaded: " + (known.empty() ? std::string("none") : known))});
  }
  return Found{component, owner->library, state_->plugins[owner->info_index].file.string()};
}

std::vector<ConfigError> PluginSet::factory_failed(const Found& found, const ComponentContext& context,
                                                   std::exception_ptr error) {
  const std::string what = std::string(to_string(found.component->category)) + " \"" + found.component->name +
                           "\" from " + found.file + " failed to start: ";
  if (!error) return {context.config.error("", what + "the factory returned null")};
  try {
    std::rethrow_exception(error);
  } catch (const ConfigException& e) {
    return e.errors();
  } catch (const std::exception& e) {
    return {context.config.error("", what + e.what())};
  } catch (...) {
    return {context.config.error("", what + "it threw something that is not a std::exception")};
  }
}

}  // namespace recourse::host
