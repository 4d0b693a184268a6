// recourse.policy:table — exact > namespace wildcard > defaults > built-in, field by field.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <string_view>

import recourse.core;

using namespace std::chrono_literals;
using recourse::PolicyLayer;

namespace {

void set(recourse::PolicyPatch& patch, std::string_view path, recourse::FieldValue value, std::uint32_t line = 1) {
  const auto* field = recourse::find_policy_field(path);
  BOOST_REQUIRE_MESSAGE(field != nullptr, path);
  patch.entries.push_back({field, std::move(value), {"test.toml", line, 1}});
}

const recourse::FieldOrigin& origin(const recourse::ResolvedPolicy& r, std::string_view path) {
  return r.origins[recourse::field_index(*recourse::find_policy_field(path))];
}

recourse::Key key(std::string_view text) { return *recourse::Key::parse(text); }

recourse::PolicyTable layered_table() {
  recourse::PolicyTable t;
  t.defaults.where = {"test.toml", 1, 1};
  set(t.defaults, "retry.max_attempts", 4, 2);
  set(t.defaults, "retry.jitter", recourse::Jitter::full, 3);
  set(t.defaults, "retry.classifier", std::string("http"), 4);
  set(t.namespaces["payments"], "retry.max_attempts", 5, 10);
  set(t.namespaces["payments"], "retry.initial_backoff", recourse::Duration(50ms), 11);
  set(t.exact["payments.Charge"], "retry.max_attempts", 2, 20);
  return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(resolve)

BOOST_AUTO_TEST_CASE(an_empty_table_gives_the_built_in_policy) {
  const auto r = recourse::resolve(recourse::PolicyTable{}, key("a.b"));
  BOOST_TEST(r.policy.id == "builtin");
  BOOST_TEST((r.policy.source == recourse::PolicySource::builtin_default));
  BOOST_TEST(r.layers.empty());
  BOOST_TEST(r.policy.retry.max_attempts == 3);
  for (const auto& o : r.origins) BOOST_TEST((o.layer == PolicyLayer::builtin));
}

BOOST_AUTO_TEST_CASE(exact_key_wins_over_namespace_over_defaults_field_by_field) {
  const auto r = recourse::resolve(layered_table(), key("payments.Charge"));
  BOOST_TEST(r.policy.id == "payments.Charge");
  BOOST_TEST((r.policy.source == recourse::PolicySource::static_config));
  BOOST_TEST(r.policy.retry.max_attempts == 2);
  BOOST_TEST((r.policy.retry.initial_backoff == 50ms));
  BOOST_TEST((r.policy.retry.jitter == recourse::Jitter::full));
  BOOST_TEST(r.policy.retry.classifier == "http");
  BOOST_TEST((r.policy.retry.max_backoff == 250ms));

  BOOST_TEST((origin(r, "retry.max_attempts").layer == PolicyLayer::exact));
  BOOST_TEST(origin(r, "retry.max_attempts").where.line == 20u);
  BOOST_TEST((origin(r, "retry.initial_backoff").layer == PolicyLayer::ns_wildcard));
  BOOST_TEST(origin(r, "retry.initial_backoff").layer_name == "payments.*");
  BOOST_TEST((origin(r, "retry.jitter").layer == PolicyLayer::defaults));
  BOOST_TEST(origin(r, "retry.jitter").where.line == 3u);
  BOOST_TEST((origin(r, "retry.max_backoff").layer == PolicyLayer::builtin));
  const std::vector<PolicyLayer> layers{PolicyLayer::defaults, PolicyLayer::ns_wildcard, PolicyLayer::exact};
  BOOST_TEST((r.layers == layers));
}

BOOST_AUTO_TEST_CASE(other_keys_of_the_namespace_get_the_wildcard) {
  const auto r = recourse::resolve(layered_table(), key("payments.Refund"));
  BOOST_TEST(r.policy.id == "payments.*");
  BOOST_TEST(r.policy.retry.max_attempts == 5);
}

BOOST_AUTO_TEST_CASE(keys_of_other_namespaces_get_only_defaults) {
  const auto r = recourse::resolve(layered_table(), key("catalog.Get"));
  BOOST_TEST(r.policy.id == "defaults");
  BOOST_TEST(r.policy.retry.max_attempts == 4);
  BOOST_TEST((r.policy.retry.initial_backoff == 10ms));
}

BOOST_AUTO_TEST_CASE(a_key_without_namespace_never_matches_a_wildcard) {
  recourse::PolicyTable t = layered_table();
  set(t.namespaces[""], "retry.max_attempts", 9);  // not something the loader produces
  const auto r = recourse::resolve(t, key("payments"));
  BOOST_TEST(r.policy.retry.max_attempts == 4);
}

BOOST_AUTO_TEST_CASE(a_later_entry_for_the_same_field_wins) {
  recourse::PolicyTable t;
  set(t.exact["a.b"], "retry.max_attempts", 6, 1);
  set(t.exact["a.b"], "retry.max_attempts", 7, 2);
  const auto r = recourse::resolve(t, key("a.b"));
  BOOST_TEST(r.policy.retry.max_attempts == 7);
  BOOST_TEST(origin(r, "retry.max_attempts").where.line == 2u);
}

BOOST_AUTO_TEST_CASE(normalization_runs_on_the_merged_policy) {
  recourse::PolicyTable t;
  set(t.defaults, "retry.max_backoff", recourse::Duration(1s));
  set(t.exact["a.b"], "retry.initial_backoff", recourse::Duration(2s));
  const auto r = recourse::resolve(t, key("a.b"));
  BOOST_TEST((r.policy.retry.max_backoff == 2s));
  BOOST_REQUIRE(r.policy.normalized.size() == 1u);
  BOOST_TEST(r.policy.normalized[0].path == "retry.max_backoff");
  BOOST_TEST(r.policy.normalized[0].before == "1s");
}

BOOST_AUTO_TEST_CASE(the_table_source_travels_with_the_policy) {
  recourse::PolicyTable t;
  t.source = recourse::PolicySource::remote;
  set(t.exact["a.b"], "retry.max_attempts", 2);
  BOOST_TEST((recourse::resolve(t, key("a.b")).policy.source == recourse::PolicySource::remote));
  BOOST_TEST((recourse::resolve(t, key("a.c")).policy.source == recourse::PolicySource::builtin_default));
}

BOOST_AUTO_TEST_CASE(locations_format_as_file_line_column) {
  BOOST_TEST(recourse::to_string(recourse::SourceLocation{"c.toml", 3, 7}) == "c.toml:3:7");
  BOOST_TEST(recourse::to_string(recourse::SourceLocation{"c.toml", 0, 0}) == "c.toml");
}

BOOST_AUTO_TEST_SUITE_END()
