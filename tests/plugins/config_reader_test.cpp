// support::ConfigReader: present fields come back typed, absent ones empty, and every problem
// of a table — unknown, wrong, missing-but-required, the component's own — is kept and thrown
// together by finish(), in the order found.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <string_view>

#include "plugin_harness.hpp"

import recourse.support.config;

using plugin_harness::Table;
using recourse::support::ConfigReader;
using recourse::support::required;

namespace {
constexpr std::string_view known[]{"count", "name", "wait", "on"};
}

BOOST_AUTO_TEST_SUITE(config_reader)

BOOST_AUTO_TEST_CASE(reads_present_fields_and_leaves_absent_ones_empty) {
  const Table table = Table().add("count", 3).add("wait", "250ms").add("on", true);
  const recourse::ConfigView view(table.node);
  ConfigReader in(view, known);
  BOOST_TEST(in.integer("count", 0, 10).value() == 3);
  BOOST_TEST((in.duration("wait").value() == std::chrono::milliseconds(250)));
  BOOST_TEST(in.boolean("on").value());
  BOOST_TEST(!in.string("name").has_value());
  BOOST_TEST(in.ok());
  BOOST_CHECK_NO_THROW(in.finish());
}

BOOST_AUTO_TEST_CASE(keeps_every_error_and_finish_throws_them_in_order) {
  const Table table = Table().add("typo", 1).add("count", "ten");
  const recourse::ConfigView view(table.node);
  ConfigReader in(view, known);
  BOOST_TEST(!in.integer("count", 0, 10).has_value());
  BOOST_TEST(!in.string("name", required("who it is")).has_value());
  in.fail("count", "also wrong");
  BOOST_TEST(!in.ok());
  try {
    in.finish();
    BOOST_FAIL("finish() did not throw");
  } catch (const recourse::ConfigException& e) {
    const auto& errors = e.errors();
    BOOST_REQUIRE_EQUAL(errors.size(), 4u);
    BOOST_TEST(errors[0].message.starts_with("unknown field \"typo\""), errors[0].message);
    BOOST_TEST(errors[1].message.starts_with("expected an integer"), errors[1].message);
    BOOST_TEST(errors[1].field_path == "test.count");
    BOOST_TEST(errors[2].message == "missing required field \"name\" (who it is)");
    BOOST_TEST(errors[2].field_path == "test.name");  // where it would have been
    BOOST_TEST(errors[3].message == "also wrong");
  }
}

BOOST_AUTO_TEST_SUITE_END()
