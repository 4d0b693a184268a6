// recourse.host.config: well-formed TOML becomes the PolicyTable it says.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <string_view>

import recourse.host.config;

using namespace std::chrono_literals;

namespace {

recourse::host::Config parse(std::string_view text) {
  auto config = recourse::host::parse_config(text, "test.toml");
  // Boost builds the message even when the check passes: never touch error() of a value.
  BOOST_REQUIRE_MESSAGE(config.has_value(), (config ? "" : recourse::host::to_string(config.error())));
  return std::move(*config);
}

recourse::ResolvedPolicy resolve(const recourse::host::Config& c, std::string_view key) {
  return recourse::resolve(c.policies, *recourse::Key::parse(key));
}

const recourse::FieldOrigin& origin(const recourse::ResolvedPolicy& r, std::string_view path) {
  return r.origins[recourse::field_index(*recourse::find_policy_field(path))];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_loading)

BOOST_AUTO_TEST_CASE(the_demo_config_loads) {
  auto config = recourse::host::load_config(RECOURSE_SOURCE_DIR "/config/recourse.toml");
  BOOST_REQUIRE_MESSAGE(config.has_value(), (config ? "" : recourse::host::to_string(config.error())));
  BOOST_TEST(config->policies.exact.size() == 8u);  // three to explain, five for `recourse simulate`
  BOOST_TEST(config->simulation.has_value());
  BOOST_TEST(config->policies.namespaces.contains("payments"));
  const auto charge = resolve(*config, "payments.Charge");
  BOOST_TEST(charge.policy.circuit.enabled);
  BOOST_TEST(charge.policy.retry.budget.name == "payments-retries");
}

BOOST_AUTO_TEST_CASE(dotted_keys_sub_tables_and_inline_tables_are_equivalent) {
  const auto config = parse(R"(
[policies."a.dotted"]
retry.budget.name = "b"
retry.budget.cost = 2

[policies."a.tables".retry.budget]
name = "b"
cost = 2

[policies."a.inline"]
retry = { budget = { name = "b", cost = 2 } }
)");
  for (std::string_view key : {"a.dotted", "a.tables", "a.inline"}) {
    const auto r = resolve(config, key);
    BOOST_TEST(r.policy.retry.budget.name == "b", key);
    BOOST_TEST(r.policy.retry.budget.cost == 2, key);
  }
}

BOOST_AUTO_TEST_CASE(every_kind_of_field_is_read) {
  const auto config = parse(R"(
[defaults]
retry.max_attempts = 4
retry.multiplier = 3
retry.jitter = "decorrelated"
retry.overall_timeout = "1m30s"
retry.classifier = "http"
hedge.enabled = true
hedge.trigger = "p95"
circuit.failure_rate_threshold = 12.5
)");
  const auto r = resolve(config, "any.key");
  BOOST_TEST(r.policy.retry.max_attempts == 4);
  BOOST_TEST(r.policy.retry.multiplier == 3.0);  // an integer is a fine number
  BOOST_TEST((r.policy.retry.jitter == recourse::Jitter::decorrelated));
  BOOST_TEST((r.policy.retry.overall_timeout == 90s));
  BOOST_TEST(r.policy.retry.classifier == "http");
  BOOST_TEST(r.policy.hedge.enabled);
  BOOST_TEST((r.policy.hedge.trigger == recourse::HedgeTriggerKind::p95));
  BOOST_TEST(r.policy.circuit.failure_rate_threshold == 12.5);
}

BOOST_AUTO_TEST_CASE(origins_carry_file_line_and_column) {
  const auto config = parse("[defaults]\nretry.max_attempts = 4\n\n[policies.\"p.q\"]\nretry.jitter = \"full\"\n");
  const auto r = resolve(config, "p.q");
  BOOST_TEST(recourse::to_string(origin(r, "retry.max_attempts").where) == "test.toml:2:22");
  BOOST_TEST(recourse::to_string(origin(r, "retry.jitter").where) == "test.toml:5:16");
  BOOST_TEST(origin(r, "retry.jitter").layer_name == "p.q");
}

BOOST_AUTO_TEST_CASE(keys_are_canonicalized_and_wildcards_become_namespaces) {
  const auto config = parse(R"(
[policies." svc . Method "]
retry.max_attempts = 2
[policies."svc.*"]
retry.max_attempts = 5
)");
  BOOST_TEST(config.policies.exact.contains("svc.Method"));
  BOOST_TEST(config.policies.namespaces.contains("svc"));
  BOOST_TEST(resolve(config, "svc.Method").policy.retry.max_attempts == 2);
  BOOST_TEST(resolve(config, "svc.Other").policy.retry.max_attempts == 5);
}

BOOST_AUTO_TEST_CASE(an_empty_budget_name_removes_an_inherited_budget) {
  const auto config = parse(R"(
[defaults]
retry.budget.name = "shared"
[policies."a.b"]
retry.budget.name = ""
)");
  BOOST_TEST(resolve(config, "a.b").policy.retry.budget.name.empty());
  BOOST_TEST(resolve(config, "a.c").policy.retry.budget.name == "shared");
}

BOOST_AUTO_TEST_CASE(an_empty_file_is_all_built_in) {
  const auto config = parse("# nothing configured\n");
  BOOST_TEST(resolve(config, "a.b").policy.id == "builtin");
}

BOOST_AUTO_TEST_SUITE_END()
