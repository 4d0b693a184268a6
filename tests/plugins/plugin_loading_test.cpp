// Loading plugins: every way a plugin can be wrong is a clear refusal naming the file and the
// cause, the process goes on with the others, and an object outlives the set that loaded it.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "plugin_harness.hpp"

namespace fs = std::filesystem;

namespace {

recourse::host::PluginSet load_from(const fs::path& dir, bool allow_insecure = false) {
  recourse::host::PluginSettings settings;
  settings.present = true;
  settings.paths.push_back(dir);
  settings.allow_insecure = allow_insecure;
  return recourse::host::PluginSet::load(settings);
}

fs::path test_plugins(const char* which) { return fs::path(RECOURSE_TEST_PLUGIN_DIR) / which; }

// One refusal whose reason contains every fragment.
void expect_refusal(const recourse::host::PluginSet& set, std::initializer_list<std::string_view> fragments) {
  BOOST_REQUIRE_EQUAL(set.refusals().size(), 1u);
  const std::string reason = set.refusals()[0].file.string() + ": " + set.refusals()[0].reason;
  for (std::string_view f : fragments) BOOST_TEST(reason.find(f) != std::string::npos, "\"" << f << "\" not in: " << reason);
}

struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("recourse-plugins-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  TempDir() {
    fs::create_directories(path);
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(plugin_loading)

BOOST_AUTO_TEST_CASE(the_standard_plugins_load_with_their_components) {
  const auto& set = plugin_harness::standard_plugins();
  BOOST_TEST(set.refusals().empty());
  for (auto [category, name] : {std::pair{recourse::ComponentCategory::classifier, "http"},
                                std::pair{recourse::ComponentCategory::classifier, "grpc"},
                                std::pair{recourse::ComponentCategory::classifier, "errno"},
                                std::pair{recourse::ComponentCategory::backoff, "linear"},
                                std::pair{recourse::ComponentCategory::backoff, "decorrelated"},
                                std::pair{recourse::ComponentCategory::provider, "toml_file"}})
    BOOST_TEST(set.provides(category, name), name);
  BOOST_TEST(set.plugins().front().fingerprint.find("recourse 0.1.0") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_abi_mismatch_is_refused_before_anything_runs) {
  expect_refusal(load_from(test_plugins("abi")), {"librecourse-bad_abi.so", "plugin ABI 99.0", "host's 2.0"});
}

BOOST_AUTO_TEST_CASE(a_fingerprint_mismatch_names_the_field) {
  expect_refusal(load_from(test_plugins("fingerprint")),
                 {"build fingerprint mismatch", "compiler differs", "gcc 9.4.0", "host with clang"});
}

BOOST_AUTO_TEST_CASE(a_library_without_a_descriptor_is_not_a_plugin) {
  expect_refusal(load_from(test_plugins("no_descriptor")), {"not a recourse plugin", "recourse_plugin_descriptor"});
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_a_shared_object_is_refused) {
  TempDir dir;
  std::ofstream(dir.path / "librecourse-garbage.so") << "this is text, not ELF\n";
  fs::permissions(dir.path / "librecourse-garbage.so", fs::perms::owner_read | fs::perms::owner_write);
  expect_refusal(load_from(dir.path), {"librecourse-garbage.so", "not a shared object: no ELF header"});
}

BOOST_AUTO_TEST_CASE(a_duplicate_component_is_refused_and_the_first_stays) {
  const auto set = load_from(test_plugins("duplicate"));
  BOOST_TEST(set.plugins().size() == 1u);
  BOOST_TEST(set.plugins()[0].name == "duplicate-a");
  expect_refusal(set, {"librecourse-duplicate_b.so", "duplicate component", "classifier \"dup\"", "librecourse-duplicate_a.so"});
}

BOOST_AUTO_TEST_CASE(a_component_declared_twice_in_one_plugin_is_refused) {
  expect_refusal(load_from(test_plugins("self_duplicate")), {"declares classifier \"twice\" twice"});
}

BOOST_AUTO_TEST_CASE(a_throwing_factory_is_an_error_naming_the_file_and_cause) {
  const auto set = load_from(test_plugins("factory_throws"));
  BOOST_REQUIRE(set.refusals().empty());
  const recourse::ConfigNode table;
  const recourse::ConfigView view(table);
  const recourse::PluginContext services{};
  const auto made = set.create<recourse::Classifier>(recourse::ComponentCategory::classifier, "throws",
                                                     recourse::ComponentContext{view, services, "throws"});
  BOOST_REQUIRE(!made.has_value());
  const std::string message = made.error().front().message;
  BOOST_TEST(message.find("librecourse-factory_throws.so") != std::string::npos, message);
  BOOST_TEST(message.find("boom in constructor") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(asking_for_a_missing_component_lists_what_is_loaded) {
  const recourse::ConfigNode table;
  const recourse::ConfigView view(table);
  const recourse::PluginContext services{};
  const auto made = plugin_harness::standard_plugins().create<recourse::Classifier>(
      recourse::ComponentCategory::classifier, "htp", recourse::ComponentContext{view, services, "htp"});
  BOOST_REQUIRE(!made.has_value());
  BOOST_TEST(made.error().front().message.find("no classifier plugin named \"htp\"; loaded: ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(group_writable_files_and_directories_are_refused_unless_allowed) {
  TempDir dir;
  const fs::path copy = dir.path / "librecourse-http.so";
  fs::copy_file(fs::path(RECOURSE_PLUGIN_DIR) / "librecourse-http.so", copy);
  fs::permissions(copy, fs::perms::owner_all | fs::perms::group_all);
  expect_refusal(load_from(dir.path), {"writable by group or others", "mode 0770", "allow_insecure = true"});
  BOOST_TEST(load_from(dir.path, true).plugins().size() == 1u);

  fs::permissions(copy, fs::perms::owner_all);
  fs::permissions(dir.path, fs::perms::owner_all | fs::perms::others_all);
  expect_refusal(load_from(dir.path), {"the directory", "writable by group or others"});
}

BOOST_AUTO_TEST_CASE(a_foreign_owned_file_is_refused) {
  TempDir dir;
  const fs::path copy = dir.path / "librecourse-http.so";
  fs::copy_file(fs::path(RECOURSE_PLUGIN_DIR) / "librecourse-http.so", copy);
  if (::geteuid() != 0) return;  // only root can hand a file to another user; CI runs as root
  BOOST_REQUIRE(::chown(copy.c_str(), 4242, 4242) == 0);
  expect_refusal(load_from(dir.path), {"owned by uid 4242"});
}

BOOST_AUTO_TEST_CASE(load_names_pick_plugins_and_a_missing_name_is_reported) {
  recourse::host::PluginSettings settings;
  settings.present = true;
  settings.paths.push_back(RECOURSE_PLUGIN_DIR);
  settings.load = std::vector<std::string>{"http", "nonexistent"};
  const auto set = recourse::host::PluginSet::load(settings);
  BOOST_TEST(set.plugins().size() == 1u);
  expect_refusal(set, {"plugin \"nonexistent\" not found"});
}

BOOST_AUTO_TEST_CASE(objects_keep_their_library_loaded_after_the_set_is_gone) {
  std::shared_ptr<recourse::Classifier> classifier;
  {
    recourse::host::PluginSettings settings;
    settings.present = true;
    settings.paths.push_back(RECOURSE_PLUGIN_DIR);
    settings.load = std::vector<std::string>{"grpc"};
    auto set = recourse::host::PluginSet::load(settings);
    const recourse::ConfigNode table;
    const recourse::ConfigView view(table);
    const recourse::PluginContext services{};
    auto made = set.create<recourse::Classifier>(recourse::ComponentCategory::classifier, "grpc",
                                                 recourse::ComponentContext{view, services, "grpc"});
    BOOST_REQUIRE(made.has_value());
    classifier = std::move(*made);
  }  // the set, and its handles on the libraries, are gone here
  recourse::AttemptView view;
  view.status.grpc_code = 14;  // UNAVAILABLE: code and vtable still mapped
  BOOST_TEST(classifier->classify(view).reason == "grpc_unavailable");
  classifier.reset();  // destructor runs in the plugin, then the library may unload
}

BOOST_AUTO_TEST_SUITE_END()
