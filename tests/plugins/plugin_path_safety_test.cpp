// Insecure layouts, built for real under a temporary directory: every directory on the way to a
// plugin, through every symlink hop, must be owned by root or this user and not writable by
// group or others (a root-owned sticky directory is fine above, never as the plugin directory
// itself). Refusals carry the security sentence and the allow_insecure hint, and name the
// offending directory; allow_insecure = true loads. Also the path messages: does not exist,
// not a directory, dangling symlink, symlink loop.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "loading_helpers.hpp"

namespace fs = std::filesystem;
using loading::expect_refusal;
using loading::load_from;
using loading::make_dir;
using loading::TempDir;

namespace {

constexpr std::string_view hint = "(set allow_insecure = true under [plugins] to load";

// A safe plugin directory at `dir` holding a copy of the http plugin.
fs::path plugin_dir(const fs::path& dir) {
  make_dir(dir);
  loading::copy_file(loading::standard_plugin("http"), dir / "librecourse-http.so");
  return dir;
}

bool loads_http(const recourse::host::PluginSet& set) {
  return set.refusals().empty() && set.provides(recourse::ComponentCategory::classifier, "http");
}

bool is_root() { return ::geteuid() == 0; }

}  // namespace

BOOST_AUTO_TEST_SUITE(plugin_path_safety)

BOOST_AUTO_TEST_CASE(a_safe_layout_loads) {
  TempDir t;
  BOOST_TEST(loads_http(load_from(plugin_dir(t.path / "safe" / "plugins"))));
}

BOOST_AUTO_TEST_CASE(a_world_writable_parent_is_refused_unless_allowed) {
  TempDir t;
  const fs::path ww = make_dir(t.path / "ww", 0777);
  const fs::path dir = plugin_dir(ww / "plugins");
  expect_refusal(load_from(dir), {"refused: the directory " + ww.string() + " above it is writable by group or others",
                                  "mode 0777", "would run code that others can change", hint});
  BOOST_TEST(loads_http(load_from(dir, true)));
}

BOOST_AUTO_TEST_CASE(a_world_writable_grandparent_is_refused) {
  TempDir t;
  const fs::path ww = make_dir(t.path / "ww", 0777);
  make_dir(ww / "a");
  expect_refusal(load_from(plugin_dir(ww / "a" / "plugins")),
                 {"the directory " + ww.string() + " above it is writable by group or others", hint});
}

BOOST_AUTO_TEST_CASE(a_group_writable_parent_is_refused) {
  TempDir t;
  const fs::path gw = make_dir(t.path / "gw", 0775);
  expect_refusal(load_from(plugin_dir(gw / "plugins")), {"the directory " + gw.string() + " above it", "mode 0775", hint});
}

// Anyone could replace the symlink itself with one to their own directory.
BOOST_AUTO_TEST_CASE(a_symlinked_plugin_directory_inside_a_world_writable_one_is_refused) {
  TempDir t;
  const fs::path real = plugin_dir(t.path / "safe" / "plugins");
  const fs::path ww = make_dir(t.path / "ww", 0777);
  fs::create_directory_symlink(real, ww / "link");
  expect_refusal(load_from(ww / "link"), {"the directory " + ww.string() + " above it is writable", hint});
  BOOST_TEST(loads_http(load_from(ww / "link", true)));
}

BOOST_AUTO_TEST_CASE(a_symlinked_plugin_directory_pointing_into_a_world_writable_one_is_refused) {
  TempDir t;
  const fs::path ww = make_dir(t.path / "ww", 0777);
  plugin_dir(ww / "plugins");
  make_dir(t.path / "safe");
  fs::create_directory_symlink(ww / "plugins", t.path / "safe" / "plugins");
  expect_refusal(load_from(t.path / "safe" / "plugins"),
                 {"the directory " + ww.string() + " above it", "reached through the symlink", hint});
}

// The plugin file is a symlink; the chain runs through a symlink in a world-writable directory
// to a file in a safe one.
BOOST_AUTO_TEST_CASE(a_symlink_chain_through_a_world_writable_directory_is_refused) {
  TempDir t;
  const fs::path store = plugin_dir(t.path / "store");
  const fs::path ww = make_dir(t.path / "ww", 0777);
  fs::create_symlink(store / "librecourse-http.so", ww / "hop.so");
  const fs::path plugins = make_dir(t.path / "plugins");
  fs::create_symlink(ww / "hop.so", plugins / "librecourse-http.so");
  expect_refusal(load_from(plugins), {"plugins/librecourse-http.so: refused: the directory " + ww.string() + " above it",
                                      "(reached through the symlink " + (plugins / "librecourse-http.so").string() +
                                          " -> " + (ww / "hop.so").string() + ")",
                                      "is writable by group or others (mode 0777)", hint});
  BOOST_TEST(loads_http(load_from(plugins, true)));
}

BOOST_AUTO_TEST_CASE(a_relative_symlink_through_safe_directories_loads) {
  TempDir t;
  plugin_dir(t.path / "store");
  const fs::path plugins = make_dir(t.path / "plugins");
  fs::create_symlink("../store/./librecourse-http.so", plugins / "librecourse-http.so");
  BOOST_TEST(loads_http(load_from(plugins)));
}

BOOST_AUTO_TEST_CASE(a_world_writable_file_behind_a_symlink_is_refused_naming_it) {
  TempDir t;
  const fs::path store = plugin_dir(t.path / "store");
  loading::set_mode(store / "librecourse-http.so", 0666);
  const fs::path plugins = make_dir(t.path / "plugins");
  fs::create_symlink(store / "librecourse-http.so", plugins / "librecourse-http.so");
  expect_refusal(load_from(plugins), {"refused: the file " + (store / "librecourse-http.so").string(),
                                      "is writable by group or others (mode 0666)", hint});
}

// /tmp is the usual case: others can create entries there but not replace ours.
BOOST_AUTO_TEST_CASE(a_root_owned_sticky_directory_is_accepted_above_but_not_as_the_plugin_directory) {
  if (!is_root()) {
    BOOST_TEST_MESSAGE("skipped: the sticky directory must be root-owned, and only root can make one here");
    return;
  }
  TempDir t;
  const fs::path sticky = make_dir(t.path / "sticky", 01777);
  BOOST_TEST(loads_http(load_from(plugin_dir(sticky / "plugins"))));
  loading::copy_file(loading::standard_plugin("http"), sticky / "librecourse-http.so");
  expect_refusal(load_from(sticky), {"refused: the directory is writable by group or others (mode 1777)", hint});
  // A sticky directory someone else owns is no protection: its owner can replace anything.
  BOOST_REQUIRE(::chown(sticky.c_str(), 4242, 4242) == 0);
  expect_refusal(load_from(sticky / "plugins"), {"the directory " + sticky.string() + " above it", "mode 1777"});
}

BOOST_AUTO_TEST_CASE(a_directory_or_symlink_owned_by_another_user_is_refused) {
  if (!is_root()) {
    BOOST_TEST_MESSAGE("skipped: needs root to chown");
    return;
  }
  TempDir t;
  const fs::path other = make_dir(t.path / "other");
  const fs::path dir = plugin_dir(other / "plugins");
  BOOST_REQUIRE(::chown(other.c_str(), 4242, 4242) == 0);
  expect_refusal(load_from(dir), {"the directory " + other.string() + " above it is owned by uid 4242", hint});

  // In a sticky directory a symlink's owner may replace it.
  const fs::path sticky = make_dir(t.path / "sticky", 01777);
  const fs::path real = plugin_dir(t.path / "real");
  fs::create_directory_symlink(real, sticky / "link");
  BOOST_TEST(loads_http(load_from(sticky / "link")));
  BOOST_REQUIRE(::lchown((sticky / "link").c_str(), 4242, 4242) == 0);
  expect_refusal(load_from(sticky / "link"), {"refused: the symlink " + (sticky / "link").string() + " is owned by uid 4242"});
}

BOOST_AUTO_TEST_CASE(a_missing_plugin_path_does_not_exist_and_a_file_is_not_a_directory) {
  TempDir t;
  expect_refusal(load_from(t.path / "nowhere"), {"nowhere: plugin path does not exist"});
  expect_refusal(load_from(t.path / "nowhere" / "deeper"),
                 {"plugin path does not exist (" + (t.path / "nowhere").string() + " is missing)"});
  const fs::path file = loading::write_file(t.path / "file", "x");
  expect_refusal(load_from(file), {"plugin path is not a directory (it is a regular file)"});
  expect_refusal(load_from(file / "below"), {"plugin path does not resolve: " + file.string() + " is not a directory"});
}

BOOST_AUTO_TEST_CASE(a_dangling_symlink_is_named_as_one) {
  TempDir t;
  const fs::path plugins = make_dir(t.path / "plugins");
  fs::create_symlink(t.path / "gone.so", plugins / "librecourse-gone.so");
  expect_refusal(load_from(plugins), {"librecourse-gone.so: the file is a dangling symlink: " +
                                      (plugins / "librecourse-gone.so").string() + " points to " +
                                      (t.path / "gone.so").string() + ", which does not exist"});
  fs::create_directory_symlink(t.path / "moved", t.path / "dir-link");
  expect_refusal(load_from(t.path / "dir-link"), {"plugin path is a dangling symlink", "which does not exist"});
  // An intact symlink with something missing beyond it is not dangling.
  fs::create_directory_symlink(plugins, t.path / "good-link");
  expect_refusal(load_from(t.path / "good-link" / "sub"),
                 {"plugin path does not exist (" + (plugins / "sub").string() + " is missing)"});
}

BOOST_AUTO_TEST_CASE(a_symlink_loop_is_refused) {
  TempDir t;
  const fs::path plugins = make_dir(t.path / "plugins");
  fs::create_symlink("librecourse-loop.so", plugins / "librecourse-loop.so");
  expect_refusal(load_from(plugins), {"librecourse-loop.so", "too many levels of symbolic links"});
}

BOOST_AUTO_TEST_SUITE_END()
