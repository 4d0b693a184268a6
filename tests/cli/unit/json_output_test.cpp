// host/cli/json_output: commas, nesting and escaping come out as valid, readable JSON.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>

#include "json_output.hpp"

BOOST_AUTO_TEST_SUITE(json_output)

BOOST_AUTO_TEST_CASE(nested_values_are_indented_and_separated) {
  recourse::cli::JsonOutput json;
  json.begin_object().key("a").integer(1).key("b").begin_array().string("x").boolean(true).null().end_array();
  json.key("c").begin_object().end_object().end_object();
  BOOST_TEST(json.str() == "{\n  \"a\": 1,\n  \"b\": [\n    \"x\",\n    true,\n    null\n  ],\n  \"c\": {}\n}\n");
}

BOOST_AUTO_TEST_CASE(strings_are_escaped_and_non_finite_numbers_become_null) {
  recourse::cli::JsonOutput json;
  json.begin_array().string("q\"\\\n\x01").number(2.5).number(std::nan("")).end_array();
  BOOST_TEST(json.str() == "[\n  \"q\\\"\\\\\\n\\u0001\",\n  2.5,\n  null\n]\n");
}

BOOST_AUTO_TEST_SUITE_END()
