// recourse.host.config: every kind of bad input is one error with file:line:col, the field
// path and the offending value — and every error of a file is reported, not just the first.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
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
               {"bad.toml:2:22", "defaults.retry.max_attempts", "expected an integer", "got string \"five\""});
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
  expect_error("[defaults]\nhedge.enabled = \"yes\"\n", {"expected a boolean", "got string \"yes\""});
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

// Issue 10 item 14(d): outside policies, values reach components as ConfigNodes, which have
// no date kind; a TOML date or time is a type error where it is written.
BOOST_AUTO_TEST_CASE(dates_and_times_are_type_errors_outside_policies) {
  expect_error("[plugins]\npaths = [1979-05-27]\n",
               {"bad.toml:2:10: plugins.paths[0]: got date 1979-05-27", "no recourse setting takes a TOML date or time"});
  expect_error("[executor]\ndefault_classifier = 07:32:00\n",
               {"bad.toml:2:22: executor.default_classifier: got time 07:32:00"});
  expect_error("[classifiers.c]\nplugin = \"http\"\nsince = 1979-05-27T07:32:00Z\n",
               {"bad.toml:3:9: classifiers.c.since: got date-time 1979-05-27T07:32:00Z"});
  expect_error("[budgets.b]\nbackend = 1979-05-27\n", {"bad.toml:2:11: budgets.b.backend: got date"});
}

// Issue 11 item 7: one path from TOML to ConfigNode — a policy field and a table the host or
// a component reads word a wrong value alike, and both place an unknown field at its key.
BOOST_AUTO_TEST_CASE(policies_and_other_tables_word_errors_alike) {
  const auto errors = errors_of(
      "[executor]\nmax_keys = \"many\"\nbogus = 1\n[defaults]\nretry.max_attempts = \"many\"\nretry.bogus = 1\n");
  BOOST_REQUIRE_EQUAL(errors.size(), 4u);
  BOOST_TEST(errors[0] == "bad.toml:2:12: executor.max_keys: expected an integer, got string \"many\"");
  BOOST_TEST(errors[1].starts_with("bad.toml:3:1: executor.bogus: unknown field \"bogus\""), errors[1]);
  BOOST_TEST(errors[2] == "bad.toml:5:22: defaults.retry.max_attempts: expected an integer, got string \"many\"");
  BOOST_TEST(errors[3].starts_with("bad.toml:6:7: defaults.retry.bogus: unknown field \"bogus\""), errors[3]);
}

// A TOML date or time is reported once, where it is, whatever then reads (or refuses) the
// value: a policy field, a section, an unknown field, a policy body, a refused table.
BOOST_AUTO_TEST_CASE(a_date_is_one_error_wherever_it_is) {
  expect_error("[defaults]\nretry.max_attempts = 1979-05-27\n",
               {"bad.toml:2:22: defaults.retry.max_attempts: got date"});
  expect_error("[defaults]\nretry = 1979-05-27\n", {"bad.toml:2:9: defaults.retry: got date"});
  expect_error("[defaults]\nretry.bogus = 1979-05-27\n", {"bad.toml:2:7: defaults.retry.bogus: unknown field"});
  expect_error("[policies]\n\"a.B\" = 1979-05-27\n", {"bad.toml:2:9: policies.\"a.B\": got date"});
  expect_error("defaults = 1979-05-27\n", {"bad.toml:1:12: defaults: got date"});
  expect_error("[nope]\nx = 1979-05-27\n", {"bad.toml:1:2: nope: unknown table"});
  expect_error("[policies.\"*\"]\nretry.max_attempts = 1979-05-27\n", {"a wildcard needs a namespace"});
  expect_error("[executor]\nmissing_policy = 07:32:00\n", {"bad.toml:2:18: executor.missing_policy: got time"});
}

// Issue 10 item 20: [policies.catalog.GetItem] is TOML for nested tables; say how to quote it.
BOOST_AUTO_TEST_CASE(an_unquoted_dotted_policy_key_is_told_to_quote_it) {
  expect_error("[policies.catalog.GetItem]\nretry.max_attempts = 2\n",
               {"bad.toml:1:19: policies.catalog.GetItem:", "as tables nested in a policy \"catalog\"",
                "must be quoted: [policies.\"catalog.GetItem\"]"});
  expect_error("[policies.a.b.c]\nretry.max_attempts = 2\n", {"[policies.\"a.b.c\"]"});
  // A policy section under an unquoted key is not mistaken for a key.
  expect_error("[policies.catalog]\nretry.max_attemps = 2\n", {"unknown field \"max_attemps\""});
}

// Issue 10 item 20: reading goes on after an error, so a tool can check the rest (validate
// reports runtime errors with the file's); names with bad tables are kept, empty.
BOOST_AUTO_TEST_CASE(a_partial_reading_keeps_what_was_read_and_every_error) {
  const auto reading = recourse::host::read_config_text(
      "[budgets.b]\nbackend = 3\n[classifiers.c]\nplugin = 4\n[policies.\"a.B\"]\nretry.max_attempts = \"x\"\n"
      "retry.classifier = \"htp\"\n",
      "bad.toml");
  BOOST_TEST(reading.parsed);
  BOOST_TEST(reading.errors.errors.size() == 3u);
  BOOST_REQUIRE_EQUAL(reading.config.budgets.size(), 1u);
  BOOST_TEST(reading.config.budgets[0].name == "b");
  BOOST_TEST(reading.config.budgets[0].plugin.empty());
  BOOST_REQUIRE_EQUAL(reading.config.components.size(), 1u);
  BOOST_TEST(reading.config.components[0].plugin.empty());
  BOOST_REQUIRE_EQUAL(reading.config.policies.exact.count("a.B"), 1u);
  BOOST_TEST(reading.config.policies.exact.at("a.B").entries.size() == 1u);  // the classifier
  const auto syntax = recourse::host::read_config_text("[defaults\n", "bad.toml");
  BOOST_TEST(!syntax.parsed);
  BOOST_TEST(syntax.errors.errors.size() == 1u);
}

// Issue 10 item 20: numbers in ConfigView messages are the shortest text that reads back.
BOOST_AUTO_TEST_CASE(config_view_messages_print_floats_as_written) {
  recourse::ConfigNode table;
  table.path = "c";
  const auto add = [&](std::string name, double value) {
    recourse::ConfigNode n;
    n.kind = recourse::ConfigNode::Kind::number;
    n.number = value;
    n.path = "c." + name;
    table.fields.push_back({std::move(name), std::move(n)});
  };
  add("tiny", 1e-9);
  add("ratio", 0.1);
  add("two", 2.0);
  const recourse::ConfigView view(table);
  const auto tiny = view.number("tiny", 0.5, 1e12);
  BOOST_REQUIRE(!tiny.has_value());
  BOOST_TEST(tiny.error().message == "out of range: 1e-09; allowed from 0.5 to 1000000000000");
  const auto ratio = view.string("ratio");
  BOOST_REQUIRE(!ratio.has_value());
  BOOST_TEST(ratio.error().message == "expected a string, got float 0.1");
  const auto two = view.integer("two", 0, 10);
  BOOST_REQUIRE(!two.has_value());
  BOOST_TEST(two.error().message == "expected an integer, got float 2.0");
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_an_error_not_a_crash) {
  auto config = recourse::host::load_config("/nonexistent/recourse.toml");
  BOOST_REQUIRE(!config.has_value());
  BOOST_TEST(recourse::host::to_string(config.error()).find("/nonexistent/recourse.toml: cannot read config file") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

// Only a regular file of at most max_config_bytes is read as a config; anything else (a
// directory, a FIFO, a device, a file that cannot be read, a huge file) is one clear error,
// at once — never an empty valid config, never a hang (issue 10, items 14a and 17).

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "recourse-config-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void expect_refused(const fs::path& file, std::initializer_list<std::string_view> fragments) {
  const auto config = recourse::host::load_config(file);
  BOOST_REQUIRE_MESSAGE(!config.has_value(), file << " was read as a config");
  BOOST_REQUIRE_EQUAL(config.error().errors.size(), 1u);
  const std::string text = recourse::host::to_string(config.error());
  BOOST_TEST(text.find(file.string() + ": cannot read config file: ") == 0u, text);
  for (std::string_view f : fragments) BOOST_TEST(text.find(f) != std::string::npos, "\"" << f << "\" not in: " << text);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_files)

BOOST_AUTO_TEST_CASE(a_directory_is_not_a_config) {
  const TempDir dir;
  expect_refused(dir.path, {"it is a directory; a config must be a regular file"});
}

BOOST_AUTO_TEST_CASE(a_fifo_is_refused_without_waiting_for_a_writer) {
  const TempDir dir;
  const fs::path fifo = dir.path / "recourse.toml";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  expect_refused(fifo, {"it is a FIFO (named pipe)"});  // a blocking open would hang here
}

BOOST_AUTO_TEST_CASE(a_device_is_refused_without_reading_it) {
  expect_refused("/dev/zero", {"it is a character device"});  // reading it would never end
}

BOOST_AUTO_TEST_CASE(a_file_that_fails_to_read_is_an_error_not_an_empty_config) {
  expect_refused("/proc/self/mem", {"Input/output error"});  // opens, then every read fails
}

BOOST_AUTO_TEST_CASE(a_config_over_the_size_limit_is_refused) {
  const TempDir dir;
  const fs::path big = dir.path / "big.toml";
  {
    std::ofstream out(big, std::ios::binary);
    const std::string line(1023, '#');
    for (std::size_t written = 0; written <= recourse::host::max_config_bytes; written += 1024) out << line << '\n';
  }
  expect_refused(big, {"larger than the limit of 16 MiB"});
}

BOOST_AUTO_TEST_CASE(a_symlink_to_a_regular_file_is_read) {
  const TempDir dir;
  std::ofstream(dir.path / "real.toml") << "[defaults]\nretry.max_attempts = 2\n";
  fs::create_symlink(dir.path / "real.toml", dir.path / "link.toml");
  const auto config = recourse::host::load_config(dir.path / "link.toml");
  BOOST_TEST(config.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
