// recourse.host.analysis:policy_warnings — a risky policy gets its warning, at the line to
// change; the same policy made safe gets none.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "config_fixture.hpp"

using recourse::host::policy_warnings;
using cli_test::codes;
using cli_test::has;
using cli_test::parse;
using cli_test::policy_of;

namespace {

std::vector<std::string> warning_codes(const recourse::host::Config& config, std::string_view key) {
  return codes(policy_warnings(policy_of(config, key), config.budgets));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(policy_warnings_checks)

BOOST_AUTO_TEST_CASE(retries_without_a_budget_are_flagged_and_a_budget_silences_them) {
  const auto config = parse(R"(
[budgets.retries]
plugin = "token_bucket"

[policies."a.NoBudget"]
retry.max_attempts = 3

[policies."a.WithBudget"]
retry.max_attempts = 3
retry.budget.name = "retries"
)");
  BOOST_TEST(has(warning_codes(config, "a.NoBudget"), "retry-without-budget"));
  BOOST_TEST(!has(warning_codes(config, "a.WithBudget"), "retry-without-budget"));
}

BOOST_AUTO_TEST_CASE(a_single_attempt_needs_no_retry_budget) {
  const auto config = parse(R"(
[policies."a.Once"]
retry.max_attempts = 1
)");
  BOOST_TEST(warning_codes(config, "a.Once").empty());
}

BOOST_AUTO_TEST_CASE(an_unlimited_budget_counts_as_none) {
  const auto config = parse(R"(
[budgets.free]
plugin = "unlimited"

[policies."a.Free"]
retry.budget.name = "free"
hedge = { enabled = true, budget = { name = "free" } }
)");
  const auto warnings = policy_warnings(policy_of(config, "a.Free"), config.budgets);
  const auto found = codes(warnings);
  BOOST_TEST(has(found, "retry-without-budget"));
  BOOST_TEST(has(found, "hedge-without-budget"));
  BOOST_TEST(warnings[0].message.find("unlimited") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(hedging_without_a_budget_is_flagged_and_disabled_hedging_is_not) {
  const auto config = parse(R"(
[budgets.h]
plugin = "token_bucket"

[policies."a.Hedged"]
retry.max_attempts = 1
hedge.enabled = true

[policies."a.HedgedWithBudget"]
retry.max_attempts = 1
hedge.enabled = true
hedge.budget.name = "h"

[policies."a.Off"]
retry.max_attempts = 1
hedge.enabled = false
)");
  BOOST_TEST(has(warning_codes(config, "a.Hedged"), "hedge-without-budget"));
  BOOST_TEST(warning_codes(config, "a.HedgedWithBudget").empty());
  BOOST_TEST(warning_codes(config, "a.Off").empty());
}

BOOST_AUTO_TEST_CASE(attempt_timeouts_above_the_overall_timeout_are_flagged_only_when_they_exceed_it) {
  const auto config = parse(R"(
[budgets.b]
plugin = "token_bucket"

[defaults]
retry.budget.name = "b"
retry.max_retry_after = "100ms"

[policies."a.Over"]
retry.max_attempts = 4
retry.per_attempt_timeout = "2s"
retry.overall_timeout = "800ms"

[policies."a.Exact"]
retry.max_attempts = 4
retry.per_attempt_timeout = "200ms"
retry.overall_timeout = "800ms"

[policies."a.NoOverall"]
retry.max_attempts = 4
retry.per_attempt_timeout = "2s"
)");
  const auto over = policy_warnings(policy_of(config, "a.Over"), config.budgets);
  BOOST_TEST(codes(over) == std::vector<std::string>{"attempt-timeouts-exceed-overall"});
  BOOST_TEST(over[0].message.find("8s") != std::string::npos);  // 4 × 2s
  BOOST_TEST(warning_codes(config, "a.Exact").empty());            // 4 × 200ms = 800ms is not above
  BOOST_TEST(warning_codes(config, "a.NoOverall").empty());
}

BOOST_AUTO_TEST_CASE(a_retry_after_cap_above_the_overall_timeout_is_flagged) {
  const auto config = parse(R"(
[budgets.b]
plugin = "token_bucket"

[policies."a.DefaultCap"]
retry.budget.name = "b"
retry.overall_timeout = "5s"

[policies."a.LowCap"]
retry.budget.name = "b"
retry.overall_timeout = "5s"
retry.max_retry_after = "2s"

[policies."a.NoRetries"]
retry.max_attempts = 1
retry.overall_timeout = "5s"
)");
  // The built-in cap is 30s, above 5s.
  BOOST_TEST(codes(policy_warnings(policy_of(config, "a.DefaultCap"), config.budgets)) ==
             std::vector<std::string>{"retry-after-cap-exceeds-overall"});
  BOOST_TEST(warning_codes(config, "a.LowCap").empty());
  // No retry, no Retry-After wait.
  BOOST_TEST(warning_codes(config, "a.NoRetries").empty());
}

BOOST_AUTO_TEST_CASE(a_warning_points_at_the_most_specific_line_involved) {
  const auto config = parse(R"([defaults]
retry.per_attempt_timeout = "2s"

[policies."a.*"]
retry.max_attempts = 4

[policies."a.B"]
retry.overall_timeout = "800ms"
)");
  const auto warnings = policy_warnings(policy_of(config, "a.B"), config.budgets);
  bool found = false;
  for (const auto& w : warnings) {
    if (w.code != "attempt-timeouts-exceed-overall") continue;
    found = true;
    BOOST_TEST(w.key == "a.B");
    BOOST_TEST(w.where.line == 8u);  // the exact key's overall_timeout, not the defaults
    BOOST_TEST(w.where.file == "test.toml");
  }
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(a_risk_with_no_configured_field_points_at_the_policy_header) {
  const auto config = parse(R"(
[policies."a.B"]
retry.jitter = "full"
)");
  // Three attempts and no budget are both built-in: the header is the place to fix it.
  const auto warnings = policy_warnings(policy_of(config, "a.B"), config.budgets);
  BOOST_REQUIRE_EQUAL(warnings.size(), 1u);
  BOOST_TEST(warnings[0].code == "retry-without-budget");
  BOOST_TEST(warnings[0].where.line == 2u);
}

BOOST_AUTO_TEST_CASE(validate_checks_every_exact_key_every_wildcard_and_any_other_key) {
  const auto config = parse(R"(
[defaults]
retry.max_attempts = 1

[policies."a.*"]
retry.max_attempts = 2

[policies."b.C"]
retry.max_attempts = 1
)");
  std::vector<std::string> keys;
  for (const auto& p : recourse::host::configured_policies(config.policies)) keys.push_back(p.key);
  BOOST_TEST(keys == (std::vector<std::string>{"b.C", "a.*", "*"}));
  BOOST_TEST(has(warning_codes(config, "a.*"), "retry-without-budget"));
  BOOST_TEST(warning_codes(config, "*").empty());
}

BOOST_AUTO_TEST_CASE(a_warning_reads_as_file_line_col_warning_key_message_code) {
  const recourse::host::Warning w{"retry-without-budget", "a.B", {"x.toml", 3, 1}, "no budget"};
  BOOST_TEST(recourse::host::to_string(w) == "x.toml:3:1: warning: a.B: no budget [retry-without-budget]");
  const recourse::host::Warning nowhere{"retry-without-budget", "*", {}, "no budget"};
  BOOST_TEST(recourse::host::to_string(nowhere) == "warning: *: no budget [retry-without-budget]");
}

// Issue 10 item 20: a risky field set by one layer is one warning, naming the keys it affects.
BOOST_AUTO_TEST_CASE(a_risk_inherited_by_several_keys_is_one_warning_naming_them) {
  const auto config = parse(R"(
[defaults]
retry.max_attempts = 3

[policies."a.B"]
hedge.enabled = false

[policies."a.C"]
retry.max_attempts = 4
)");
  std::vector<recourse::host::Warning> all;
  for (const auto& p : recourse::host::configured_policies(config.policies))
    for (auto& w : recourse::host::policy_warnings(p, config.budgets)) all.push_back(std::move(w));
  BOOST_REQUIRE_EQUAL(all.size(), 3u);  // a.B and * inherit line 3; a.C sets its own
  const auto merged = recourse::host::merge_inherited(all);
  BOOST_REQUIRE_EQUAL(merged.size(), 2u);
  BOOST_TEST(merged[0].key == "a.B");
  BOOST_TEST(merged[0].also == (std::vector<std::string>{"*"}));
  BOOST_TEST(recourse::host::to_string(merged[0]).find("test.toml:3:22: warning: a.B, *: up to 3 attempts") == 0u,
             recourse::host::to_string(merged[0]));
  BOOST_TEST(merged[1].key == "a.C");
  BOOST_TEST(merged[1].also.empty());
}

BOOST_AUTO_TEST_CASE(a_warning_for_many_keys_names_three_and_counts_the_rest) {
  recourse::host::Warning w{"retry-without-budget", "a.A", {"x.toml", 3, 1}, "no budget", {"a.B", "a.C", "a.D", "*"}};
  BOOST_TEST(recourse::host::keys_text(w) == "a.A, a.B, a.C and 2 more keys");
  w.also = {"a.B", "a.C", "*"};
  BOOST_TEST(recourse::host::keys_text(w) == "a.A, a.B, a.C and 1 more key");
  w.also = {"a.B", "*"};
  BOOST_TEST(recourse::host::keys_text(w) == "a.A, a.B, *");
}

BOOST_AUTO_TEST_CASE(warnings_without_a_position_are_not_merged) {
  const recourse::host::Warning a{"retry-without-budget", "a.B", {}, "no budget"};
  const recourse::host::Warning b{"retry-without-budget", "*", {}, "no budget"};
  BOOST_TEST(recourse::host::merge_inherited({a, b}).size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
