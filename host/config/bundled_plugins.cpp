// Where the standard plugins of this library's build or installation are (see config.cppm).
module;
#include <dlfcn.h>

#include <filesystem>
#include <system_error>

module recourse.host.config;

namespace recourse::host {

std::filesystem::path bundled_plugin_dir() {
  // The file this function was loaded from: librecourse_runtime.so, or the program it is linked into.
  Dl_info info{};
  if (::dladdr(reinterpret_cast<const void*>(&bundled_plugin_dir), &info) == 0 || info.dli_fname == nullptr) return {};
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::canonical(info.dli_fname, ec);
  if (ec) return {};
  const std::filesystem::path dir = self.parent_path();
  // Installed: <prefix>/lib/librecourse_runtime.so → <prefix>/lib/recourse/plugins.
  // Build tree: <build>/host/librecourse_runtime.so → <build>/plugins.
  for (const auto& candidate : {dir / "recourse" / "plugins", dir.parent_path() / "plugins"})
    if (std::filesystem::is_directory(candidate, ec)) return candidate;
  return {};
}

}  // namespace recourse::host
