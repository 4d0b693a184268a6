// recourse.host.config: every kind of bad input is one error with file:line:col, the field
// path and the offending value — and every error of a file is reported, not just the first.
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

import recourse.host.config;

namespace {

std::vector<std::string> errors_of(std::string_view text) {
  auto config = recourse::host::parse_config(text, "bad.toml");
  BOOST_REQUIRE_MESSAGE(!config.has_value(), "expected the config to be rejected");
  std::vector<std::string> lines;
  for (const auto& e : config.error().errors) lines.push_back(recourse::to_string(e));
  return lines;
}

// The one error of `text`, which must contain every fragment.
void expect_error(std::string_view text, std::initializer_list<std::string_view> fragments) {
  const auto errors = errors_of(text);
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  for (std::string_view f : fragments)
    BOOST_TEST(errors[0].find(f) != std::string::npos, "\"" << f << "\" not in: " << errors[0]);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_errors)

BOOST_AUTO_TEST_CASE(toml_syntax_error_names_line_and_column) {
  expect_error("[defaults]\nretry.max_attempts = = 3\n", {"bad.toml:2:", "TOML syntax error"});
}

BOOST_AUTO_TEST_CASE(unknown_table_suggests_the_close_name) {
  expect_error("[defualts]\nretry.max_attempts = 3\n",
               {"bad.toml:1:2", "defualts", "unknown table", "(did you mean defaults?); known: defaults, policies"});
}

BOOST_AUTO_TEST_CASE(unknown_field_is_a_typo_error_with_its_path) {
  expect_error("[policies.\"a.b\"]\nretry.max_attemps = 3\n",
               {"bad.toml:2:7", "policies.\"a.b\".retry.max_attemps", "unknown field", "(did you mean max_attempts?); known fields of retry: max_attempts,"});
}

BOOST_AUTO_TEST_CASE(unknown_section_lists_the_known_ones) {
  expect_error("[defaults]\nretri.max_attempts = 3\n",
               {"bad.toml:2:1", "defaults.retri", "did you mean retry?", "; known sections: retry, hedge, circuit"});
}

BOOST_AUTO_TEST_CASE(field_outside_its_section_is_unknown) {
  expect_error("[defaults]\nmax_attempts = 3\n", {"bad.toml:2:1", "defaults.max_attempts", "unknown field"});
}

BOOST_AUTO_TEST_CASE(wrong_type_names_expected_and_actual_with_the_value) {
  expect_error("[defaults]\nretry.max_attempts = \"five\"\n",
               {"bad.toml:2:22", "defaults.retry.max_attempts", "expected an integer", "got string 'five'"});
}

BOOST_AUTO_TEST_CASE(float_for_an_integer_field_is_a_type_error) {
  expect_error("[defaults]\nretry.max_attempts = 2.5\n", {"bad.toml:2:22", "expected an integer", "got float 2.5"});
}

BOOST_AUTO_TEST_CASE(duration_must_be_a_string_with_a_unit) {
  expect_error("[defaults]\nhedge.delay = 250\n",
               {"bad.toml:2:15", "defaults.hedge.delay", "expected a duration string", "got integer 250"});
}

BOOST_AUTO_TEST_CASE(unparsable_duration_quotes_the_text) {
  expect_error("[defaults]\nretry.overall_timeout = \"5 seconds\"\n",
               {"bad.toml:2:25", "defaults.retry.overall_timeout", "invalid duration \"5 seconds\""});
}

BOOST_AUTO_TEST_CASE(negative_duration_is_rejected) {
  expect_error("[defaults]\nretry.initial_backoff = \"-10ms\"\n",
               {"bad.toml:2:25", "retry.initial_backoff", "\"-10ms\"", "negative"});
}

BOOST_AUTO_TEST_CASE(out_of_range_integer_gives_the_allowed_range) {
  expect_error("[defaults]\nretry.max_attempts = -1\n",
               {"bad.toml:2:22", "defaults.retry.max_attempts", "out of range: -1", "from 0 to 2147483647"});
  expect_error("[defaults]\nretry.max_attempts = 99999999999\n", {"out of range: 99999999999"});
}

BOOST_AUTO_TEST_CASE(out_of_range_number_gives_the_allowed_range) {
  expect_error("[defaults]\ncircuit.failure_rate_threshold = 150.0\n",
               {"bad.toml:2:34", "circuit.failure_rate_threshold", "out of range: 150.0", "from 0 to 100"});
  expect_error("[defaults]\nretry.multiplier = nan\n", {"retry.multiplier", "out of range: nan"});
  expect_error("[defaults]\nretry.multiplier = -2.0\n", {"retry.multiplier", "at least 0"});
}

BOOST_AUTO_TEST_CASE(unknown_enum_value_lists_the_choices) {
  expect_error("[defaults]\nretry.jitter = \"bogus\"\n",
               {"bad.toml:2:16", "defaults.retry.jitter", "unknown jitter \"bogus\"",
                "known: none, full, equal, decorrelated"});
}

BOOST_AUTO_TEST_CASE(enum_given_as_another_type) {
  expect_error("[defaults]\ncircuit.kind = 1\n", {"expected one of consecutive, failure_rate", "got integer 1"});
}

BOOST_AUTO_TEST_CASE(empty_component_name_is_rejected) {
  expect_error("[defaults]\nretry.classifier = \"\"\n", {"bad.toml:2:20", "retry.classifier", "must not be empty"});
}

BOOST_AUTO_TEST_CASE(boolean_field_rejects_strings) {
  expect_error("[defaults]\nhedge.enabled = \"yes\"\n", {"expected a boolean", "got string 'yes'"});
}

BOOST_AUTO_TEST_CASE(section_given_as_a_value) {
  expect_error("[defaults]\nretry = 3\n", {"bad.toml:2:9", "defaults.retry", "expected a table", "got integer 3"});
}

BOOST_AUTO_TEST_CASE(policy_given_as_a_value) {
  expect_error("policies.x = 3\n", {"bad.toml:1:14", "policies.x", "expected a table"});
}

BOOST_AUTO_TEST_CASE(invalid_policy_keys_say_why) {
  expect_error("[policies.\"\"]\nretry.max_attempts = 2\n", {"bad.toml:1:", "invalid policy key", "key_empty"});
  expect_error("[policies.\"a\\u0001b\"]\nretry.max_attempts = 2\n", {"invalid policy key", "key_control_character"});
  expect_error("[policies.\"a.b.*\"]\nretry.max_attempts = 2\n", {"can never match", "write \"a.*\""});
  expect_error("[policies.\"*\"]\nretry.max_attempts = 2\n", {"use [defaults]"});
}

BOOST_AUTO_TEST_CASE(keys_equal_after_canonicalization_are_duplicates) {
  expect_error("[policies.\"a.b\"]\nretry.max_attempts = 2\n[policies.\" a . b \"]\nretry.max_attempts = 3\n",
               {"bad.toml:3:", "duplicate policy for \"a.b\"", "first at bad.toml:1:"});
}

BOOST_AUTO_TEST_CASE(every_error_of_a_file_is_reported) {
  const auto errors = errors_of(R"([defaults]
retry.max_attempts = "x"
retry.jitter = "sometimes"
[policies."a.b"]
hedge.delay = "fast"
[unknown]
)");
  BOOST_REQUIRE_EQUAL(errors.size(), 4u);
  BOOST_TEST(errors[0].find("bad.toml:2:") == 0u);
  BOOST_TEST(errors[1].find("bad.toml:3:") == 0u);
  BOOST_TEST(errors[2].find("bad.toml:5:") == 0u);
  BOOST_TEST(errors[3].find("bad.toml:6:") == 0u);
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_an_error_not_a_crash) {
  auto config = recourse::host::load_config("/nonexistent/recourse.toml");
  BOOST_REQUIRE(!config.has_value());
  BOOST_TEST(recourse::host::to_string(config.error()).find("/nonexistent/recourse.toml: cannot read config file") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
