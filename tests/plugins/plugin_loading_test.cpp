// Loading plugins: every way a plugin can be wrong is a clear refusal naming the file and the
// cause, the process goes on with the others, and an object outlives the set that loaded it.
// What the stamp says is refused before dlopen; the loader's and the descriptor's refusals come
// after. (ELF pre-check: plugin_precheck_test.cpp; path safety: plugin_path_safety_test.cpp.)
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "loading_helpers.hpp"
#include "plugin_harness.hpp"

namespace fs = std::filesystem;
using loading::expect_refusal;
using loading::load_from;
using loading::test_plugins;
using loading::TempDir;

BOOST_AUTO_TEST_SUITE(plugin_loading)

BOOST_AUTO_TEST_CASE(the_standard_plugins_load_with_their_components) {
  const auto& set = plugin_harness::standard_plugins();
  for (const auto& r : set.refusals()) BOOST_TEST(false, "refused: " << loading::describe(r));
  for (auto [category, name] : {std::pair{recourse::ComponentCategory::classifier, "http"},
                                std::pair{recourse::ComponentCategory::classifier, "grpc"},
                                std::pair{recourse::ComponentCategory::classifier, "errno"},
                                std::pair{recourse::ComponentCategory::backoff, "linear"},
                                std::pair{recourse::ComponentCategory::backoff, "decorrelated"},
                                std::pair{recourse::ComponentCategory::provider, "toml_file"}})
    BOOST_TEST(set.provides(category, name), name);
  BOOST_TEST(set.plugins().front().fingerprint.find("recourse 0.1.0") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_abi_mismatch_is_refused_from_the_stamp_before_anything_runs) {
  const std::string host_abi =
      "host's " + std::to_string(recourse::plugin_abi_major) + "." + std::to_string(recourse::plugin_abi_minor);
  expect_refusal(load_from(test_plugins("abi")), {"librecourse-bad_abi.so", "plugin ABI 99.0", host_abi,
                                                  "read from its .recourse_plugin section; none of its code was run"});
}

BOOST_AUTO_TEST_CASE(a_fingerprint_mismatch_names_the_field) {
  expect_refusal(load_from(test_plugins("fingerprint")),
                 {"build fingerprint mismatch", "compiler differs", "gcc 9.4.0", "host with clang",
                  "read from its .recourse_plugin section"});
}

// Before the stamp, dlopen ran this constructor and the test process died of abort().
BOOST_AUTO_TEST_CASE(a_refused_plugin_whose_constructor_aborts_never_runs) {
  expect_refusal(load_from(test_plugins("constructor_aborts")),
                 {"librecourse-constructor_aborts.so", "build fingerprint mismatch", "gcc 9.4.0", "none of its code was run"});
}

BOOST_AUTO_TEST_CASE(a_library_without_a_stamp_is_not_a_plugin) {
  expect_refusal(load_from(test_plugins("no_descriptor")),
                 {"librecourse-no_descriptor.so", "not a recourse plugin: no .recourse_plugin section"});
}

BOOST_AUTO_TEST_CASE(a_stamped_library_without_a_descriptor_is_refused_after_loading) {
  expect_refusal(load_from(test_plugins("stamp_only")), {"not a recourse plugin: no recourse_plugin_descriptor symbol"});
}

BOOST_AUTO_TEST_CASE(the_descriptor_is_still_checked_behind_the_stamp) {
  expect_refusal(load_from(test_plugins("descriptor_disagrees")),
                 {"librecourse-descriptor_disagrees.so", "plugin ABI 99.0 is not compatible", "(in its descriptor)"});
}

// Factories are typed per category; a component must fill exactly its own category's.
BOOST_AUTO_TEST_CASE(a_component_without_the_factory_of_its_category_is_refused) {
  const auto set = load_from(test_plugins("wrong_factory"));
  expect_refusal(set, {"librecourse-wrong_factory.so", "malformed descriptor: components[0] (\"mislabelled\", budget)",
                       "must set exactly the factory of its category"});
  BOOST_TEST(!set.provides(recourse::ComponentCategory::budget, "mislabelled"));
}

// Boost.DLL said "Bad file descriptor" for both.
BOOST_AUTO_TEST_CASE(the_loaders_own_message_is_reported) {
  const auto set = load_from(test_plugins("undefined_symbol"));
  expect_refusal(set, {"librecourse-undefined_symbol.so", "not a loadable shared object: the dynamic loader refused it",
                       "undefined symbol: recourse_test_symbol_nobody_defines"});
  BOOST_TEST(set.refusals()[0].reason.find("/proc/") == std::string::npos, set.refusals()[0].reason);
  expect_refusal(load_from(test_plugins("pie")),
                 {"librecourse-pie.so", "cannot dynamically load position-independent executable"});
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
  const auto made = set.create<recourse::Classifier>("throws", recourse::ComponentContext{view, services, "throws"});
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
      "htp", recourse::ComponentContext{view, services, "htp"});
  BOOST_REQUIRE(!made.has_value());
  BOOST_TEST(made.error().front().message.find("no classifier plugin named \"htp\"; loaded: ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(group_writable_files_and_directories_are_refused_unless_allowed) {
  TempDir dir;
  const fs::path copy = dir.path / "librecourse-http.so";
  fs::copy_file(fs::path(RECOURSE_PLUGIN_DIR) / "librecourse-http.so", copy);
  fs::permissions(copy, fs::perms::owner_all | fs::perms::group_all);
  expect_refusal(load_from(dir.path), {"the file is writable by group or others", "mode 0770", "allow_insecure = true"});
  BOOST_TEST(load_from(dir.path, true).plugins().size() == 1u);

  fs::permissions(copy, fs::perms::owner_all);
  fs::permissions(dir.path, fs::perms::owner_all | fs::perms::others_all);
  expect_refusal(load_from(dir.path), {"refused: the directory is writable by group or others", "mode 0707",
                                       "load from it anyway"});
}

BOOST_AUTO_TEST_CASE(a_foreign_owned_file_is_refused) {
  TempDir dir;
  const fs::path copy = dir.path / "librecourse-http.so";
  fs::copy_file(fs::path(RECOURSE_PLUGIN_DIR) / "librecourse-http.so", copy);
  if (::geteuid() != 0) {  // only root can hand a file to another user; CI runs as root
    BOOST_TEST_MESSAGE("skipped: needs root to chown");
    return;
  }
  BOOST_REQUIRE(::chown(copy.c_str(), 4242, 4242) == 0);
  expect_refusal(load_from(dir.path), {"the file is owned by uid 4242, neither this user (uid 0) nor root"});
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
    auto made = set.create<recourse::Classifier>("grpc", recourse::ComponentContext{view, services, "grpc"});
    BOOST_REQUIRE(made.has_value());
    classifier = std::move(*made);
  }  // the set, and its handles on the libraries, are gone here
  recourse::AttemptView view;
  view.status.grpc_code = 14;  // UNAVAILABLE: code and vtable still mapped
  BOOST_TEST(classifier->classify(view).reason == "grpc_unavailable");
  classifier.reset();  // destructor runs in the plugin, then the library may unload
}

// glibc hands out an already loaded library by its name alone. stays_loaded (-z nodelete) is
// still mapped under /proc/<pid>/fd/N after its set is gone; second_plugin, from a directory of
// the same depth, is opened on the same descriptor number unless that number stays taken.
BOOST_AUTO_TEST_CASE(a_plugin_opened_on_a_reused_descriptor_number_is_itself) {
  {
    const auto first = load_from(test_plugins("stays_loaded"));
    BOOST_REQUIRE(first.refusals().empty());
    BOOST_TEST(first.provides(recourse::ComponentCategory::classifier, "stays_loaded"));
  }
  const auto second = load_from(test_plugins("second_plugin"));
  BOOST_TEST(second.refusals().empty());
  BOOST_REQUIRE_EQUAL(second.plugins().size(), 1u);
  BOOST_TEST(second.plugins()[0].name == "second");
  BOOST_TEST(second.provides(recourse::ComponentCategory::classifier, "second"));
}

// A reload loads the same files again while the old set is alive: one library, two sets.
BOOST_AUTO_TEST_CASE(two_sets_loading_the_same_file_share_it_and_each_works_alone) {
  auto first = std::make_unique<recourse::host::PluginSet>(load_from(RECOURSE_PLUGIN_DIR));
  const auto second = load_from(RECOURSE_PLUGIN_DIR);
  BOOST_TEST(second.refusals().empty());
  BOOST_TEST(second.plugins().size() == first->plugins().size());
  first.reset();
  const recourse::ConfigNode table;
  const recourse::ConfigView view(table);
  const recourse::PluginContext services{};
  auto made = second.create<recourse::Classifier>("grpc", recourse::ComponentContext{view, services, "grpc"});
  BOOST_REQUIRE(made.has_value());
  recourse::AttemptView attempt;
  attempt.status.grpc_code = 14;
  BOOST_TEST((*made)->classify(attempt).reason == "grpc_unavailable");
}

BOOST_AUTO_TEST_CASE(one_file_reached_by_two_paths_is_one_plugin_not_a_duplicate_of_itself) {
  TempDir dir;
  const fs::path plugins = loading::make_dir(dir.path / "plugins");
  loading::copy_file(loading::standard_plugin("http"), plugins / "librecourse-http.so");
  fs::create_directory_symlink(plugins, dir.path / "also");
  fs::create_symlink("librecourse-http.so", plugins / "librecourse-alias.so");
  fs::create_hard_link(plugins / "librecourse-http.so", plugins / "librecourse-hardlink.so");
  const auto set = loading::load_paths({plugins, dir.path / "also", plugins / "."});
  for (const auto& r : set.refusals()) BOOST_TEST_MESSAGE(loading::describe(r));
  BOOST_TEST(set.refusals().empty());
  BOOST_REQUIRE_EQUAL(set.plugins().size(), 1u);
  BOOST_TEST(set.plugins()[0].file == plugins / "librecourse-alias.so");  // the first name listed

  recourse::host::PluginSettings by_name;
  by_name.present = true;
  by_name.paths = {plugins};
  by_name.load = std::vector<std::string>{"http", "alias"};
  const auto named = recourse::host::PluginSet::load(by_name);
  BOOST_TEST(named.refusals().empty());
  BOOST_TEST(named.plugins().size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
