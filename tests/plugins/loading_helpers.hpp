// Helpers for the plugin-loading tests: a private temporary directory to build file layouts in,
// copies of this build's plugins, loading one directory, and checking the one refusal.
#pragma once

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

import recourse.host.plugins;

namespace loading {

namespace fs = std::filesystem;

inline recourse::host::PluginSet load_paths(std::vector<fs::path> paths, bool allow_insecure = false) {
  recourse::host::PluginSettings settings;
  settings.present = true;
  settings.paths = std::move(paths);
  settings.allow_insecure = allow_insecure;
  return recourse::host::PluginSet::load(settings);
}

inline recourse::host::PluginSet load_from(const fs::path& dir, bool allow_insecure = false) {
  return load_paths({dir}, allow_insecure);
}

inline fs::path test_plugins(const char* which) { return fs::path(RECOURSE_TEST_PLUGIN_DIR) / which; }
inline fs::path standard_plugin(const char* name) {
  return fs::path(RECOURSE_PLUGIN_DIR) / ("librecourse-" + std::string(name) + ".so");
}

inline std::string describe(const recourse::host::PluginRefusal& r) { return r.file.string() + ": " + r.reason; }

// One refusal whose "file: reason" contains every fragment.
inline void expect_refusal(const recourse::host::PluginSet& set, std::initializer_list<std::string_view> fragments) {
  BOOST_REQUIRE_EQUAL(set.refusals().size(), 1u);
  const std::string reason = describe(set.refusals()[0]);
  for (std::string_view f : fragments) BOOST_TEST(reason.find(f) != std::string::npos, "\"" << f << "\" not in: " << reason);
}

// chmod that ignores the umask, for exact modes (sticky bit included).
inline void set_mode(const fs::path& path, mode_t mode) { BOOST_REQUIRE(::chmod(path.c_str(), mode) == 0); }

inline fs::path make_dir(const fs::path& path, mode_t mode = 0755) {
  fs::create_directories(path);
  set_mode(path, mode);
  return path;
}

inline fs::path copy_file(const fs::path& from, const fs::path& to, mode_t mode = 0644) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  set_mode(to, mode);
  return to;
}

inline fs::path write_file(const fs::path& to, std::string_view bytes, mode_t mode = 0644) {
  std::ofstream(to, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  set_mode(to, mode);
  return to;
}

inline std::string read_file(const fs::path& from) {
  std::ifstream in(from, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A fresh directory under the system temp directory (root-owned and sticky on a normal system,
// so acceptable as an ancestor), mode 0755, removed with everything in it.
struct TempDir {
  fs::path path;
  TempDir() {
    static std::atomic<int> counter{0};
    path = fs::temp_directory_path() /
           ("recourse-plugins-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    make_dir(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace loading
