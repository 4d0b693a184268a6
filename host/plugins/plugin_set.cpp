// Loading plugins (see plugins.cppm): discovery under [plugins] paths, the file-safety check,
// the descriptor check, then component creation with the library kept alive by each object.
module;
#define BOOST_DLL_USE_STD_FS
#include <boost/dll/shared_library.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <expected>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module recourse.host.plugins;

namespace recourse::host {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view descriptor_symbol = "recourse_plugin_descriptor";

struct Loaded {
  std::shared_ptr<boost::dll::shared_library> library;
  const PluginDescriptor* descriptor;
  std::size_t info_index;
};

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Why loading code from `path` is unsafe, or nullopt.
std::optional<std::string> unsafe(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "cannot stat: " + std::string(std::strerror(errno));
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return "is writable by group or others (mode " + octal_mode(st.st_mode) + ")";
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    return "is owned by uid " + std::to_string(st.st_uid) + ", neither this user (uid " + std::to_string(::geteuid()) +
           ") nor root";
  return std::nullopt;
}

// dlopen's own message for a text file is unhelpful; the magic number says it plainly.
bool has_elf_header(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char magic[4] = {};
  in.read(magic, sizeof magic);
  return in.gcount() == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

// The first pointer field of the descriptor that is null, named; nullopt when all are set.
std::optional<std::string> malformed(const PluginDescriptor& d) {
  const BuildFingerprint& f = d.fingerprint;
  if (f.compiler == nullptr) return "fingerprint.compiler";
  if (f.standard_library == nullptr) return "fingerprint.standard_library";
  if (f.recourse_version == nullptr) return "fingerprint.recourse_version";
  if (d.name == nullptr) return "name";
  if (d.version == nullptr) return "version";
  if (d.component_count > 0 && d.components == nullptr) return "components";
  for (std::size_t i = 0; i < d.component_count; ++i) {
    if (d.components[i].name == nullptr) return "components[" + std::to_string(i) + "].name";
    if (d.components[i].create == nullptr) return "components[" + std::to_string(i) + "].create";
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

  void try_load(const fs::path& file, bool allow_insecure) {
    if (!allow_insecure) {
      // A symlink is judged by what it points to, and by the directory that really holds it.
      std::error_code ec;
      const fs::path real = fs::canonical(file, ec);
      if (!ec && real.parent_path() != fs::canonical(file.parent_path(), ec)) {
        if (auto why = unsafe(real.parent_path())) {
          refuse(file, "refused: it links into " + real.parent_path().string() + ", which " + *why +
                           " (set allow_insecure = true under [plugins] to load it anyway)");
          return;
        }
      }
      if (auto why = unsafe(file)) {
        refuse(file, "refused: the file " + *why + "; loading it would run code others can change (set allow_insecure = true under [plugins] to load it anyway)");
        return;
      }
    }
    if (!has_elf_header(file)) {
      refuse(file, "not a shared object: no ELF header");
      return;
    }
    auto library = std::make_shared<boost::dll::shared_library>();
    boost::dll::fs::error_code ec;
    library->load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
    if (ec) {
      refuse(file, "not a loadable shared object: " + ec.message());
      return;
    }
    if (!library->has(std::string(descriptor_symbol))) {
      refuse(file, "not a recourse plugin: no " + std::string(descriptor_symbol) + " symbol");
      return;
    }
    const auto descriptor_fn = library->get<const PluginDescriptor*() noexcept>(std::string(descriptor_symbol));
    const PluginDescriptor* d = descriptor_fn();
    if (d == nullptr) {
      refuse(file, "its descriptor function returned null");
      return;
    }
    if (auto field = malformed(*d)) {
      refuse(file, "malformed descriptor: " + *field + " is null");
      return;
    }
    if (d->abi_major != plugin_abi_major || d->abi_minor > plugin_abi_minor) {
      refuse(file, "plugin ABI " + std::to_string(d->abi_major) + "." + std::to_string(d->abi_minor) +
                       " is not compatible with the host's " + std::to_string(plugin_abi_major) + "." +
                       std::to_string(plugin_abi_minor));
      return;
    }
    if (auto why = mismatch(d->fingerprint, core_fingerprint())) {
      refuse(file, "build fingerprint mismatch: " + *why);
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
    loaded.push_back(Loaded{std::move(library), d, plugins.size() - 1});
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
  for (const fs::path& dir : settings.paths) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      s.refuse(dir, "plugin path is not a directory");
      continue;
    }
    if (!settings.allow_insecure) {
      if (auto why = unsafe(dir)) {
        s.refuse(dir, "refused: the directory " + *why + " (set allow_insecure = true under [plugins] to load from it anyway)");
        continue;
      }
    }
    std::vector<fs::path> found;
    // increment(ec), not ++: a directory that vanishes mid-listing must not throw.
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.starts_with("librecourse-") && name.ends_with(".so")) found.push_back(it->path());
    }
    std::ranges::sort(found);
    candidates.insert(candidates.end(), found.begin(), found.end());
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

std::expected<PluginSet::Made, std::vector<ConfigError>> PluginSet::create_raw(ComponentCategory category,
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
  const std::string file = state_->plugins[owner->info_index].file.string();
  try {
    void* object = component->create(context);
    if (object == nullptr) throw std::runtime_error("the factory returned null");
    return Made{object, owner->library};
  } catch (const ConfigException& e) {
    return std::unexpected(e.errors());
  } catch (const std::exception& e) {
    return std::unexpected(std::vector<ConfigError>{context.config.error(
        "", std::string(to_string(category)) + " \"" + std::string(name) + "\" from " + file +
                " failed to start: " + e.what())});
  } catch (...) {
    return std::unexpected(std::vector<ConfigError>{context.config.error(
        "", std::string(to_string(category)) + " \"" + std::string(name) + "\" from " + file +
                " failed to start: it threw something that is not a std::exception")});
  }
}

}  // namespace recourse::host
