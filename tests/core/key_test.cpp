// recourse.key: parsing, canonical form, validation and interning.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <iostream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

import recourse.core;

namespace {

struct ParseCase {
  std::string text;
  std::string ns;
  std::string name;
  std::string canonical;
};

std::ostream& operator<<(std::ostream& out, const ParseCase& c) { return out << '"' << c.text << '"'; }

const std::vector<ParseCase> valid_keys{
    {"payments.Charge", "payments", "Charge", "payments.Charge"},
    {"  payments.Charge\t\n", "payments", "Charge", "payments.Charge"},
    {"a.b.c", "a", "b.c", "a.b.c"},
    {"Charge", "", "Charge", "Charge"},
    {"a.", "", "a.", "a."},
    {".b", "", "b", "b"},
    // No namespace before the first dot: the rest is split again, so the text stays canonical
    // (found by fuzzing: "..b" became ".b", which re-parses as "b").
    {"..b", "", "b", "b"},
    {".b.c", "b", "c", "b.c"},
    {". .b", "", "b", "b"},
    {" a . b ", "a", "b", "a.b"},
    {".", "", ".", "."},
    {"a. ", "", "a.", "a."},
    {"svc.Method-Name_2", "svc", "Method-Name_2", "svc.Method-Name_2"},
};

struct InvalidCase {
  std::string text;
  recourse::KeyError error;
};

std::ostream& operator<<(std::ostream& out, const InvalidCase& c) { return out << c.text.size() << " bytes"; }

const std::vector<InvalidCase> invalid_keys{
    {"", recourse::KeyError::empty},
    {"   \t ", recourse::KeyError::empty},
    {"a\tb.c", recourse::KeyError::control_character},
    {std::string("a\x01.b"), recourse::KeyError::control_character},
    {"a.b\x7f", recourse::KeyError::control_character},
    {"pay\nments.x", recourse::KeyError::control_character},
    {std::string(257, 'k'), recourse::KeyError::too_long},
    {"a." + std::string(300, 'n'), recourse::KeyError::too_long},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(key)

BOOST_DATA_TEST_CASE(parse_splits_at_first_dot_and_trims, boost::unit_test::data::make(valid_keys), c) {
  const auto key = recourse::Key::parse(c.text);
  BOOST_REQUIRE(key.has_value());
  BOOST_TEST(key->ns() == c.ns);
  BOOST_TEST(key->name() == c.name);
  BOOST_TEST(key->str() == c.canonical);
}

BOOST_DATA_TEST_CASE(canonical_text_parses_back_to_the_same_key, boost::unit_test::data::make(valid_keys), c) {
  const auto key = recourse::Key::parse(c.text);
  const auto again = recourse::Key::parse(key->str());
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST((*again == *key));
  BOOST_TEST(again->hash() == key->hash());
}

BOOST_DATA_TEST_CASE(invalid_keys_are_rejected_with_a_reason, boost::unit_test::data::make(invalid_keys), c) {
  const auto key = recourse::Key::parse(c.text);
  BOOST_REQUIRE(!key.has_value());
  BOOST_TEST((key.error() == c.error));
}

BOOST_AUTO_TEST_CASE(length_limit_counts_the_trimmed_text) {
  BOOST_TEST(recourse::Key::parse(std::string(256, 'k')).has_value());
  BOOST_TEST(recourse::Key::parse("  " + std::string(256, 'k') + "  ").has_value());
  BOOST_TEST(!recourse::Key::parse(std::string(257, 'k')).has_value());
}

BOOST_AUTO_TEST_CASE(key_errors_have_stable_names) {
  BOOST_TEST(recourse::to_string(recourse::KeyError::empty) == "key_empty");
  BOOST_TEST(recourse::to_string(recourse::KeyError::control_character) == "key_control_character");
  BOOST_TEST(recourse::to_string(recourse::KeyError::too_long) == "key_too_long");
}

BOOST_AUTO_TEST_CASE(keys_work_in_unordered_containers) {
  std::unordered_set<recourse::Key> keys;
  keys.insert(*recourse::Key::parse("a.b"));
  keys.insert(*recourse::Key::parse(" a . b "));
  keys.insert(*recourse::Key::parse("a.c"));
  BOOST_TEST(keys.size() == 2u);
  BOOST_TEST(keys.contains(*recourse::Key::parse("a.c")));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(key_handle)

BOOST_AUTO_TEST_CASE(interning_the_same_key_twice_gives_the_same_handle) {
  const auto a = recourse::KeyHandle::intern("handles.Same");
  const auto b = recourse::KeyHandle::intern("  handles . Same ");
  BOOST_REQUIRE(a.has_value());
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST((*a == *b));
  BOOST_TEST(a->id() == b->id());
  BOOST_TEST(a->key().str() == "handles.Same");
  BOOST_TEST(a->hash() == a->key().hash());
}

BOOST_AUTO_TEST_CASE(distinct_keys_get_distinct_dense_ids) {
  const auto a = *recourse::KeyHandle::intern("handles.First");
  const auto b = *recourse::KeyHandle::intern("handles.Second");
  BOOST_TEST(!(a == b));
  BOOST_TEST(a.id() != b.id());
  BOOST_TEST(b.id() == a.id() + 1);
}

BOOST_AUTO_TEST_CASE(interning_an_invalid_key_reports_why) {
  const auto handle = recourse::KeyHandle::intern(" ");
  BOOST_REQUIRE(!handle.has_value());
  BOOST_TEST((handle.error() == recourse::KeyError::empty));
}

BOOST_AUTO_TEST_CASE(concurrent_interning_agrees_on_one_handle_per_key) {
  constexpr int threads = 4, keys = 200;
  std::vector<std::vector<std::uint32_t>> ids(threads, std::vector<std::uint32_t>(keys));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([t, &ids] {
      for (int k = 0; k < keys; ++k) ids[t][k] = recourse::KeyHandle::intern("race.k" + std::to_string(k))->id();
    });
  for (auto& w : workers) w.join();
  for (int t = 1; t < threads; ++t) BOOST_TEST(ids[t] == ids[0], boost::test_tools::per_element());
  std::unordered_set<std::uint32_t> distinct(ids[0].begin(), ids[0].end());
  BOOST_TEST(distinct.size() == static_cast<std::size_t>(keys));
}

BOOST_AUTO_TEST_SUITE_END()
