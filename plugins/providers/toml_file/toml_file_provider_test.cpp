// The toml_file policy provider plugin, loaded from librecourse-toml_file.so: policies come from
// the named TOML file, found relative to the config that names it, read by the host's reader
// (PluginContext::policy_files), and errors in that file are reported at their location in it.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "plugin_harness.hpp"

using plugin_harness::no_services;
using plugin_harness::policy_file_services;
using plugin_harness::Table;
using recourse::ComponentCategory;

BOOST_AUTO_TEST_SUITE(toml_file_provider)

BOOST_AUTO_TEST_CASE(policies_come_from_the_named_file_relative_to_the_config) {
  const auto dir = std::filesystem::temp_directory_path() / "recourse-provider-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "policies.toml") << "[policies.\"pay.*\"]\nretry.max_attempts = 7\n";
  Table table;
  table.node.where.file = (dir / "recourse.toml").string();
  table.add("path", "policies.toml");
  auto provider = plugin_harness::create<recourse::PolicyProvider>(ComponentCategory::provider, "toml_file", table,
                                                                   policy_file_services);
  const auto policy = provider->policy_for(*recourse::Key::parse("pay.Charge"));
  BOOST_REQUIRE(policy.has_value());
  BOOST_TEST(policy->policy.retry.max_attempts == 7);
  BOOST_TEST(!provider->policy_for(*recourse::Key::parse("other.Op")).has_value());
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(errors_in_the_policy_file_are_reported_with_its_location) {
  const auto dir = std::filesystem::temp_directory_path() / "recourse-provider-bad";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "policies.toml") << "[defaults]\nretry.jitter = \"bogus\"\n";
  Table table;
  table.add("path", (dir / "policies.toml").c_str());
  const auto errors = plugin_harness::errors_creating<recourse::PolicyProvider>(
      ComponentCategory::provider, "toml_file", table, policy_file_services);
  BOOST_TEST(recourse::to_string(errors.front()).find("policies.toml:2:16") != std::string::npos);
  std::filesystem::remove_all(dir);
}

// Issue 11 item 7: the plugin links no TOML reader of its own; a host that offers none says so.
BOOST_AUTO_TEST_CASE(a_host_without_a_policy_file_reader_is_told_so) {
  Table table;
  table.add("path", "policies.toml");
  const auto errors = plugin_harness::errors_creating<recourse::PolicyProvider>(ComponentCategory::provider,
                                                                                "toml_file", table, no_services);
  BOOST_TEST(recourse::to_string(errors.front()).find("this host reads no policy files") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
