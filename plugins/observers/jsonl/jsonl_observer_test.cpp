// The jsonl observer, loaded from librecourse-jsonl.so: each call one JSON line with every
// timeline field (parsed with nlohmann-json and checked for the right values, not just the
// right text), escaping, appending and size-based rotation, config refusals, whole lines from
// many threads across rotations, and — end to end — a real Executor's retried call. Files go to
// a fresh directory under the system temp dir. Shared scaffolding:
// tests/plugins/observer_test_helpers.hpp.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "observer_test_helpers.hpp"
#include "plugin_harness.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using observer_test_helpers::at;
using observer_test_helpers::contains;
using observer_test_helpers::field_paths;
using observer_test_helpers::finish;
using observer_test_helpers::Json;
using observer_test_helpers::JsonParser;
using observer_test_helpers::make_observer;
using observer_test_helpers::read;
using observer_test_helpers::refusal;
using observer_test_helpers::retried_call;
using observer_test_helpers::run_flaky_call;
using observer_test_helpers::ScratchDir;
using plugin_harness::Table;
using recourse::Timeline;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t from = 0;
  for (std::size_t nl; (nl = text.find('\n', from)) != std::string::npos; from = nl + 1)
    lines.push_back(text.substr(from, nl - from));
  BOOST_TEST(from == text.size(), "text does not end with a newline");
  return lines;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(jsonl_observer)

BOOST_AUTO_TEST_CASE(writes_each_call_as_one_json_line_with_every_timeline_field) {
  ScratchDir dir;
  const auto observer = make_observer("jsonl", Table().add("path", dir.file("calls.jsonl").c_str()));
  Timeline t = retried_call();
  t.final_reason = "max_attempts";
  t.modes_used = {"classifier:fallback"};
  t.cardinality_limited = true;
  t.normalization.push_back({"retry.max_attempts", "25", "10"});
  t.attempts[0].deadline_overrun = true;
  t.attempts[1].classifier_fallback = true;
  finish(*observer, t, false);

  const auto lines = lines_of(read(dir.file("calls.jsonl")));
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  const Json call = JsonParser::parse(lines[0]);
  BOOST_TEST(call["key"].str() == "shop.Checkout");
  BOOST_TEST(call["policy_id"].str() == "shop.*");
  BOOST_TEST(call["policy_source"].str() == "static");
  BOOST_TEST(call["start_ns"].integer() == 0);
  BOOST_TEST(call["end_ns"].integer() == 13'500'000);
  BOOST_TEST(call["duration_ns"].integer() == 13'500'000);
  BOOST_TEST(!call["succeeded"].boolean);
  BOOST_TEST(call["final_reason"].str() == "max_attempts");
  BOOST_REQUIRE_EQUAL(call["modes_used"].items.size(), 1u);
  BOOST_TEST(call["modes_used"][0].str() == "classifier:fallback");
  BOOST_TEST(call["cardinality_limited"].boolean);
  BOOST_REQUIRE_EQUAL(call["normalization"].items.size(), 1u);
  BOOST_TEST(call["normalization"][0]["path"].str() == "retry.max_attempts");
  BOOST_TEST(call["normalization"][0]["before"].str() == "25");
  BOOST_TEST(call["normalization"][0]["after"].str() == "10");

  BOOST_REQUIRE_EQUAL(call["attempts"].items.size(), 2u);
  const Json& first = call["attempts"][0];
  BOOST_TEST(first["index"].integer() == 0);
  BOOST_TEST(first["retry_index"].integer() == 0);
  BOOST_TEST(!first["is_hedge"].boolean);
  BOOST_TEST(first["hedge_index"].integer() == 0);
  BOOST_TEST(first["start_ns"].integer() == 0);
  BOOST_TEST(first["end_ns"].integer() == 2'000'000);
  BOOST_TEST(first["kind"].str() == "retryable");
  BOOST_TEST(first["reason"].str() == "http_503");
  BOOST_TEST(first["backoff_before_ns"].integer() == 0);
  BOOST_TEST(first["budget_reason"].str() == "");
  BOOST_TEST(first["deadline_overrun"].boolean);
  BOOST_TEST(!first["classifier_fallback"].boolean);
  const Json& second = call["attempts"][1];
  BOOST_TEST(second["index"].integer() == 1);
  BOOST_TEST(second["retry_index"].integer() == 1);
  BOOST_TEST(second["start_ns"].integer() == 12'000'000);
  BOOST_TEST(second["duration_ns"].integer() == 1'500'000);
  BOOST_TEST(second["kind"].str() == "success");
  BOOST_TEST(second["backoff_before_ns"].integer() == 10'000'000);
  BOOST_TEST(second["budget_reason"].str() == "allowed");
  BOOST_TEST(!second["deadline_overrun"].boolean);
  BOOST_TEST(second["classifier_fallback"].boolean);
}

BOOST_AUTO_TEST_CASE(times_are_integer_nanoseconds_of_the_clocks_time_since_epoch) {
  ScratchDir dir;
  const auto observer = make_observer("jsonl", Table().add("path", dir.file("calls.jsonl").c_str()));
  Timeline t = retried_call();
  const auto shift = std::chrono::hours(24 * 365) + 7ns;  // large and odd: no float on the way
  t.start += shift, t.end += shift;
  for (auto& a : t.attempts) a.start += shift, a.end += shift;
  finish(*observer, t, true);
  const Json call = JsonParser::parse(lines_of(read(dir.file("calls.jsonl")))[0]);
  const std::int64_t base = std::chrono::nanoseconds(shift).count();
  BOOST_TEST(call["start_ns"].integer() == base);
  BOOST_TEST(call["end_ns"].integer() == base + 13'500'000);
  BOOST_TEST(call["attempts"][1]["start_ns"].integer() == base + 12'000'000);
  BOOST_TEST(call["succeeded"].boolean);
}

BOOST_AUTO_TEST_CASE(escapes_quotes_backslashes_newlines_and_control_characters_in_keys) {
  ScratchDir dir;
  const auto observer = make_observer("jsonl", Table().add("path", dir.file("calls.jsonl").c_str()));
  const std::string key = std::string("a\"b\\c\nd\te\rf\x01g\x1fh\x7f") + "\xc3\xa9" + "\xff" + "z";
  finish(*observer, retried_call(key), true);
  const std::string text = read(dir.file("calls.jsonl"));
  BOOST_TEST(std::ranges::count(text, '\n') == 1);  // one record, one line
  BOOST_TEST(contains(text, R"("key":"a\"b\\c\nd\te\rf\u0001g\u001fh)"), text);
  const Json call = JsonParser::parse(lines_of(text)[0]);
  // Valid UTF-8 (é) passes through; a stray byte becomes U+FFFD rather than invalid JSON.
  BOOST_TEST(call["key"].str() == std::string(key.data(), key.size() - 2) + "\xef\xbf\xbd" + "z");
}

BOOST_AUTO_TEST_CASE(appends_to_an_existing_file_and_counts_its_size_towards_rotation) {
  ScratchDir dir;
  const std::string path = dir.file("calls.jsonl");
  std::ofstream(path) << "{\"earlier\":true}\n";
  make_observer("jsonl", Table().add("path", path.c_str()));
  finish(*make_observer("jsonl", Table().add("path", path.c_str())), retried_call(), true);
  const auto lines = lines_of(read(path));
  BOOST_REQUIRE_EQUAL(lines.size(), 2u);
  BOOST_TEST(lines[0] == "{\"earlier\":true}");

  // A file already at max_bytes is rotated before the first new line.
  const auto size = static_cast<long long>(fs::file_size(path));
  finish(*make_observer("jsonl", Table().add("path", path.c_str()).add("max_bytes", size)), retried_call(), true);
  BOOST_TEST(lines_of(read(path + ".1")).size() == 2u);
  BOOST_TEST(lines_of(read(path)).size() == 1u);
}

BOOST_AUTO_TEST_CASE(rotates_when_a_line_would_exceed_max_bytes_keeping_max_files) {
  ScratchDir dir;
  const std::string path = dir.file("calls.jsonl");
  // Every record has the same length (keys c.1 … c.7), so sizes are exact multiples.
  const auto probe = make_observer("jsonl", Table().add("path", dir.file("probe.jsonl").c_str()));
  finish(*probe, retried_call("c.0"), true);
  const auto line = static_cast<long long>(fs::file_size(dir.file("probe.jsonl")));

  const auto observer =
      make_observer("jsonl", Table().add("path", path.c_str()).add("max_bytes", 2 * line).add("max_files", 2));
  const auto keys_in = [&](const std::string& file) {
    std::vector<std::string> keys;
    for (const auto& l : lines_of(read(file))) keys.push_back(JsonParser::parse(l)["key"].str());
    return keys;
  };
  using Keys = std::vector<std::string>;
  finish(*observer, retried_call("c.1"), true);
  finish(*observer, retried_call("c.2"), true);
  BOOST_TEST(fs::file_size(path) == static_cast<std::uintmax_t>(2 * line));  // exactly at the limit: no rotation
  BOOST_TEST(!fs::exists(path + ".1"));
  finish(*observer, retried_call("c.3"), true);
  BOOST_TEST(keys_in(path + ".1") == (Keys{"c.1", "c.2"}), boost::test_tools::per_element());
  BOOST_TEST(keys_in(path) == (Keys{"c.3"}), boost::test_tools::per_element());
  for (const char* key : {"c.4", "c.5", "c.6", "c.7"}) finish(*observer, retried_call(key), true);
  // c.1 and c.2 went to .3, which max_files = 2 does not keep.
  BOOST_TEST(keys_in(path + ".2") == (Keys{"c.3", "c.4"}), boost::test_tools::per_element());
  BOOST_TEST(keys_in(path + ".1") == (Keys{"c.5", "c.6"}), boost::test_tools::per_element());
  BOOST_TEST(keys_in(path) == (Keys{"c.7"}), boost::test_tools::per_element());
  BOOST_TEST(!fs::exists(path + ".3"));
}

BOOST_AUTO_TEST_CASE(max_files_zero_starts_the_file_over_and_a_long_line_is_never_split) {
  ScratchDir dir;
  const std::string path = dir.file("calls.jsonl");
  const auto observer =
      make_observer("jsonl", Table().add("path", path.c_str()).add("max_bytes", 10).add("max_files", 0));
  finish(*observer, retried_call("first.call"), true);
  BOOST_TEST(lines_of(read(path)).size() == 1u);  // longer than max_bytes, but whole
  finish(*observer, retried_call("second.call"), true);
  const auto lines = lines_of(read(path));
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  BOOST_TEST(JsonParser::parse(lines[0])["key"].str() == "second.call");
  BOOST_TEST(!fs::exists(path + ".1"));
}

BOOST_AUTO_TEST_CASE(refuses_a_table_without_path) {
  const auto errors = refusal("jsonl", Table().add("plugin", "jsonl"));
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(contains(errors[0].message, "path is required"), errors[0].message);
}

BOOST_AUTO_TEST_CASE(reports_every_unknown_field_and_wrong_type_at_once_naming_each_field) {
  const auto errors = refusal(
      "jsonl",
      Table().add("plugin", "jsonl").add("path", 5).add("max_bytes", "big").add("max_files", -1).add("max_file", 3));
  const std::set<std::string> named{"test.path", "test.max_bytes", "test.max_files", "test.max_file"};
  BOOST_TEST((field_paths(errors) == named));
  BOOST_REQUIRE_EQUAL(errors.size(), 4u);
  for (const auto& e : errors) {
    if (e.field_path == "test.path") BOOST_TEST(contains(e.message, "expected a string"), e.message);
    if (e.field_path == "test.max_bytes") BOOST_TEST(contains(e.message, "expected an integer"), e.message);
    if (e.field_path == "test.max_files") BOOST_TEST(contains(e.message, "out of range"), e.message);
    if (e.field_path == "test.max_file") BOOST_TEST(contains(e.message, "unknown field"), e.message);
  }
  const auto zero = refusal("jsonl", Table().add("path", "/tmp/never-written.jsonl").add("max_bytes", 0));
  BOOST_REQUIRE_EQUAL(zero.size(), 1u);
  BOOST_TEST(zero[0].field_path == "test.max_bytes");
}

BOOST_AUTO_TEST_CASE(a_file_that_cannot_be_opened_is_a_config_error_naming_the_path_and_the_os_error) {
  ScratchDir dir;
  const std::string path = dir.file("no-such-dir/calls.jsonl");
  const auto errors = refusal("jsonl", Table().add("path", path.c_str()));
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0].field_path == "test.path");
  BOOST_TEST(contains(errors[0].message, path), errors[0].message);
  BOOST_TEST(contains(errors[0].message, "No such file or directory"), errors[0].message);
}

BOOST_AUTO_TEST_CASE(calls_finishing_on_many_threads_give_whole_lines_across_rotations) {
  ScratchDir dir;
  const std::string path = dir.file("calls.jsonl");
  constexpr int threads = 6, calls = 150;
  const auto observer =
      make_observer("jsonl", Table().add("path", path.c_str()).add("max_bytes", 32 * 1024).add("max_files", 200));
  std::vector<std::jthread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < calls; ++i)
        finish(*observer, retried_call("t" + std::to_string(t) + ".c" + std::to_string(i)), i % 2 == 0);
    });
  workers.clear();  // joins

  std::multiset<std::string> keys;
  int files = 0;
  for (std::string file = path; fs::exists(file); file = path + "." + std::to_string(++files)) {
    BOOST_TEST(fs::file_size(file) <= 32u * 1024u, file);
    for (const auto& l : lines_of(read(file))) BOOST_REQUIRE_NO_THROW(keys.insert(JsonParser::parse(l)["key"].str()));
  }
  BOOST_TEST(files > 2);  // it did rotate while threads raced
  BOOST_TEST(keys.size() == static_cast<std::size_t>(threads * calls));
  for (int t = 0; t < threads; ++t)
    for (int i = 0; i < calls; ++i) BOOST_TEST(keys.count("t" + std::to_string(t) + ".c" + std::to_string(i)) == 1u);
}

BOOST_AUTO_TEST_CASE(an_executor_call_that_fails_twice_then_succeeds_is_one_record_with_three_attempts) {
  ScratchDir dir;
  run_flaky_call(make_observer("jsonl", Table().add("path", dir.file("calls.jsonl").c_str())), "shop.Checkout");
  const auto lines = lines_of(read(dir.file("calls.jsonl")));
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  const Json call = JsonParser::parse(lines[0]);
  BOOST_TEST(call["key"].str() == "shop.Checkout");
  BOOST_TEST(call["final_reason"].str() == "success");
  BOOST_TEST(call["succeeded"].boolean);
  BOOST_TEST(call["start_ns"].integer() == 0);
  BOOST_TEST(call["end_ns"].integer() == 36'000'000);
  BOOST_REQUIRE_EQUAL(call["attempts"].items.size(), 3u);
  const std::int64_t starts[] = {0, 12'000'000, 34'000'000}, backoffs[] = {0, 10'000'000, 20'000'000};
  for (std::size_t i = 0; i < 3; ++i) {
    const Json& a = call["attempts"][i];
    BOOST_TEST(a["index"].integer() == static_cast<std::int64_t>(i));
    BOOST_TEST(a["start_ns"].integer() == starts[i]);
    BOOST_TEST(a["duration_ns"].integer() == 2'000'000);
    BOOST_TEST(a["backoff_before_ns"].integer() == backoffs[i]);
    BOOST_TEST(a["kind"].str() == (i < 2 ? "retryable" : "success"));
    BOOST_TEST(a["budget_reason"].str() == (i == 0 ? "" : "no_budget"));
  }
}

BOOST_AUTO_TEST_SUITE_END()
