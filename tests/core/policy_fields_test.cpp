// recourse.policy:fields — the one catalogue every field-by-field consumer walks.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <variant>

import recourse.core;

using namespace std::chrono_literals;

namespace {

// A value of the field's kind that differs from `current`.
recourse::FieldValue different(const recourse::FieldValue& current) {
  return std::visit(
      [](const auto& v) -> recourse::FieldValue {
        using T = std::remove_cvref_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) return !v;
        else if constexpr (std::is_same_v<T, int>) return v + 7;
        else if constexpr (std::is_same_v<T, double>) return v + 0.25;
        else if constexpr (std::is_same_v<T, recourse::Duration>) return v + 3ms;
        else if constexpr (std::is_same_v<T, std::string>) return v + "-x";
        else {
          const auto& names = recourse::EnumNames<T>::names;
          return static_cast<T>((static_cast<std::size_t>(v) + 1) % names.size());
        }
      },
      current);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(policy_fields)

BOOST_AUTO_TEST_CASE(paths_are_unique_and_findable) {
  std::set<std::string_view> seen;
  for (const recourse::FieldInfo& f : recourse::policy_fields()) {
    BOOST_TEST(seen.insert(f.path).second, "duplicate path " << f.path);
    BOOST_TEST(recourse::find_policy_field(f.path) == &f);
    BOOST_TEST(&recourse::policy_fields()[recourse::field_index(f)] == &f);
  }
  BOOST_TEST(recourse::find_policy_field("retry.max_attemps") == nullptr);
  BOOST_TEST(recourse::find_policy_field("retry") == nullptr);
}

BOOST_AUTO_TEST_CASE(every_field_reads_back_what_was_set_and_touches_nothing_else) {
  const auto fields = recourse::policy_fields();
  for (const recourse::FieldInfo& f : fields) {
    recourse::Policy p;
    const recourse::FieldValue next = different(f.get(p));
    f.set(p, next);
    BOOST_TEST((f.get(p) == next), f.path);
    for (const recourse::FieldInfo& other : fields)
      if (&other != &f) BOOST_TEST((other.get(p) == other.get(recourse::Policy{})), f.path << " changed " << other.path);
  }
}

BOOST_AUTO_TEST_CASE(text_fields_parse_through_the_catalogue) {
  const auto* jitter = recourse::find_policy_field("retry.jitter");
  BOOST_REQUIRE(jitter != nullptr);
  BOOST_TEST((jitter->kind == recourse::FieldKind::enumeration));
  BOOST_TEST(jitter->choices.size() == 4u);
  BOOST_TEST((*jitter->from_text("equal") == recourse::FieldValue(recourse::Jitter::equal)));
  BOOST_TEST(jitter->from_text("bogus").error().find("bogus") != std::string::npos);

  const auto* delay = recourse::find_policy_field("hedge.delay");
  BOOST_TEST((*delay->from_text("1.5s") == recourse::FieldValue(recourse::Duration(1500ms))));
  BOOST_TEST(!delay->from_text("soon").has_value());
}

BOOST_AUTO_TEST_CASE(durations_beyond_a_day_are_refused_with_the_bound) {
  // Near Duration's range (~292 years) a timeout overflows clock arithmetic; hours are enough.
  for (const char* path : {"retry.overall_timeout", "retry.per_attempt_timeout", "retry.max_retry_after",
                           "circuit.cooldown", "hedge.delay"}) {
    const auto* field = recourse::find_policy_field(path);
    BOOST_REQUIRE(field != nullptr);
    const auto refused = field->from_text("2562047h");
    BOOST_REQUIRE_MESSAGE(!refused.has_value(), path);
    BOOST_TEST(refused.error().find("\"2562047h\"") != std::string::npos);
    BOOST_TEST(refused.error().find("at most 24h") != std::string::npos);
    BOOST_TEST(field->from_text("24h").has_value());
  }
}

BOOST_AUTO_TEST_CASE(values_format_as_config_spells_them) {
  BOOST_TEST(recourse::format_field_value(true) == "true");
  BOOST_TEST(recourse::format_field_value(3) == "3");
  BOOST_TEST(recourse::format_field_value(2.0) == "2.0");
  BOOST_TEST(recourse::format_field_value(2.5) == "2.5");
  BOOST_TEST(recourse::format_field_value(recourse::Duration(250ms)) == "250ms");
  BOOST_TEST(recourse::format_field_value(std::string("http")) == "\"http\"");
  BOOST_TEST(recourse::format_field_value(recourse::CircuitKind::failure_rate) == "failure_rate");
}

BOOST_AUTO_TEST_SUITE_END()
