// recourse.policy:normalize — defaults, every clamp, the changed-field list, invalid enums.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

import recourse.core;

using namespace std::chrono_literals;
using recourse::Policy;

namespace {

std::vector<std::string> changed_paths(const Policy& p) {
  std::vector<std::string> paths;
  for (const auto& c : p.normalized) paths.push_back(c.path);
  return paths;
}

struct ClampCase {
  std::string name;
  std::function<void(Policy&)> configure;
  std::function<bool(const Policy&)> expect;
  std::vector<std::string> changed;  // in order
};

std::ostream& operator<<(std::ostream& out, const ClampCase& c) { return out << c.name; }

Policy with_hedge() {
  Policy p;
  p.hedge.enabled = true;
  return p;
}

const std::vector<ClampCase> clamps{
    {"attempts_zero_becomes_one", [](Policy& p) { p.retry.max_attempts = 0; },
     [](const Policy& p) { return p.retry.max_attempts == 1; }, {"retry.max_attempts"}},
    {"attempts_negative_becomes_one", [](Policy& p) { p.retry.max_attempts = -5; },
     [](const Policy& p) { return p.retry.max_attempts == 1; }, {"retry.max_attempts"}},
    {"attempts_above_ten_become_ten", [](Policy& p) { p.retry.max_attempts = 11; },
     [](const Policy& p) { return p.retry.max_attempts == 10; }, {"retry.max_attempts"}},
    {"attempts_ten_stay", [](Policy& p) { p.retry.max_attempts = 10; },
     [](const Policy& p) { return p.retry.max_attempts == 10; }, {}},
    {"initial_backoff_zero_becomes_1ms", [](Policy& p) { p.retry.initial_backoff = 0ms; },
     [](const Policy& p) { return p.retry.initial_backoff == 1ms; }, {"retry.initial_backoff"}},
    {"initial_backoff_above_30s_lowers_and_raises_max", [](Policy& p) { p.retry.initial_backoff = 1min; },
     [](const Policy& p) { return p.retry.initial_backoff == 30s && p.retry.max_backoff == 30s; },
     {"retry.initial_backoff", "retry.max_backoff"}},
    {"max_backoff_above_30s_becomes_30s", [](Policy& p) { p.retry.max_backoff = 1min; },
     [](const Policy& p) { return p.retry.max_backoff == 30s; }, {"retry.max_backoff"}},
    {"max_backoff_below_initial_is_raised", [](Policy& p) { p.retry.max_backoff = 5ms; },
     [](const Policy& p) { return p.retry.max_backoff == 10ms; }, {"retry.max_backoff"}},
    {"ceiling_wins_when_both_exceed_it",
     [](Policy& p) {
       p.retry.initial_backoff = 40s;
       p.retry.max_backoff = 50s;
     },
     [](const Policy& p) { return p.retry.initial_backoff == 30s && p.retry.max_backoff == 30s; },
     {"retry.initial_backoff", "retry.max_backoff"}},
    {"max_backoff_zero_becomes_initial",
     [](Policy& p) { p.retry.max_backoff = 0ms; },
     [](const Policy& p) { return p.retry.max_backoff == 10ms; }, {"retry.max_backoff"}},
    {"multiplier_below_one_becomes_one", [](Policy& p) { p.retry.multiplier = 0.5; },
     [](const Policy& p) { return p.retry.multiplier == 1.0; }, {"retry.multiplier"}},
    {"multiplier_above_ten_becomes_ten", [](Policy& p) { p.retry.multiplier = 11; },
     [](const Policy& p) { return p.retry.multiplier == 10.0; }, {"retry.multiplier"}},
    {"multiplier_nan_becomes_one", [](Policy& p) { p.retry.multiplier = std::numeric_limits<double>::quiet_NaN(); },
     [](const Policy& p) { return p.retry.multiplier == 1.0; }, {"retry.multiplier"}},
    {"negative_attempt_timeout_means_none", [](Policy& p) { p.retry.per_attempt_timeout = -1ms; },
     [](const Policy& p) { return p.retry.per_attempt_timeout == 0ms; }, {"retry.per_attempt_timeout"}},
    {"tiny_attempt_timeout_is_raised_to_1ms", [](Policy& p) { p.retry.per_attempt_timeout = 500us; },
     [](const Policy& p) { return p.retry.per_attempt_timeout == 1ms; }, {"retry.per_attempt_timeout"}},
    {"tiny_overall_timeout_is_raised_to_1ms", [](Policy& p) { p.retry.overall_timeout = 1ns; },
     [](const Policy& p) { return p.retry.overall_timeout == 1ms; }, {"retry.overall_timeout"}},
    {"negative_retry_after_cap_becomes_zero", [](Policy& p) { p.retry.max_retry_after = -1s; },
     [](const Policy& p) { return p.retry.max_retry_after == 0s; }, {"retry.max_retry_after"}},
    {"retry_budget_cost_at_least_one", [](Policy& p) { p.retry.budget.cost = 0; },
     [](const Policy& p) { return p.retry.budget.cost == 1; }, {"retry.budget.cost"}},
    {"disabled_hedge_is_left_alone", [](Policy& p) { p.hedge.max_hedges = 9; },
     [](const Policy& p) { return p.hedge.max_hedges == 9; }, {}},
    {"hedges_above_three_become_three",
     [](Policy& p) {
       p = with_hedge();
       p.hedge.max_hedges = 9;
     },
     [](const Policy& p) { return p.hedge.max_hedges == 3; }, {"hedge.max_hedges"}},
    {"hedges_zero_become_one",
     [](Policy& p) {
       p = with_hedge();
       p.hedge.max_hedges = 0;
     },
     [](const Policy& p) { return p.hedge.max_hedges == 1; }, {"hedge.max_hedges"}},
    {"hedge_delay_at_least_10ms",
     [](Policy& p) {
       p = with_hedge();
       p.hedge.delay = 1ms;
     },
     [](const Policy& p) { return p.hedge.delay == 10ms; }, {"hedge.delay"}},
    {"hedge_budget_cost_at_least_one",
     [](Policy& p) {
       p = with_hedge();
       p.hedge.budget.cost = -3;
     },
     [](const Policy& p) { return p.hedge.budget.cost == 1; }, {"hedge.budget.cost"}},
    {"disabled_circuit_is_left_alone", [](Policy& p) { p.circuit.threshold = 0; },
     [](const Policy& p) { return p.circuit.threshold == 0; }, {}},
    {"circuit_is_normalized_without_hedging",
     [](Policy& p) {
       p.circuit.enabled = true;
       p.circuit.threshold = 0;
       p.circuit.cooldown = 10ms;
     },
     [](const Policy& p) { return p.circuit.threshold == 1 && p.circuit.cooldown == 100ms; },
     {"circuit.threshold", "circuit.cooldown"}},
    {"circuit_windows_and_rates",
     [](Policy& p) {
       p.circuit.enabled = true;
       p.circuit.window_size = 0;
       p.circuit.window_duration = 10ms;
       p.circuit.minimum_calls = 0;
       p.circuit.failure_rate_threshold = 150;
       p.circuit.slow_call_rate_threshold = 0;
       p.circuit.slow_call_duration = -1s;
     },
     [](const Policy& p) {
       return p.circuit.window_size == 1 && p.circuit.window_duration == 1s && p.circuit.minimum_calls == 1 &&
              p.circuit.failure_rate_threshold == 100.0 && p.circuit.slow_call_rate_threshold == 1.0 &&
              p.circuit.slow_call_duration == 0s;
     },
     {"circuit.window_size", "circuit.window_duration", "circuit.minimum_calls", "circuit.failure_rate_threshold",
      "circuit.slow_call_rate_threshold", "circuit.slow_call_duration"}},
    {"minimum_calls_at_most_a_count_windows_size",
     [](Policy& p) {
       p.circuit.enabled = true;
       p.circuit.kind = recourse::CircuitKind::failure_rate;
       p.circuit.window_size = 10;  // minimum_calls stays at its default, 20: it could never open
     },
     [](const Policy& p) { return p.circuit.minimum_calls == 10; }, {"circuit.minimum_calls"}},
    {"minimum_calls_is_not_clamped_for_a_time_window",
     [](Policy& p) {
       p.circuit.enabled = true;
       p.circuit.kind = recourse::CircuitKind::failure_rate;
       p.circuit.window_type = recourse::WindowType::time;
       p.circuit.window_size = 10;
     },
     [](const Policy& p) { return p.circuit.minimum_calls == 20; }, {}},
    {"half_open_probes_between_1_and_100",
     [](Policy& p) {
       p.circuit.enabled = true;
       p.circuit.half_open_probes = 1000;
     },
     [](const Policy& p) { return p.circuit.half_open_probes == 100; }, {"circuit.half_open_probes"}},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(normalize)

BOOST_AUTO_TEST_CASE(built_in_defaults_match_the_contract) {
  const Policy p = recourse::normalize(Policy{});
  BOOST_TEST(p.normalized.empty());
  BOOST_TEST(p.retry.max_attempts == 3);
  BOOST_TEST((p.retry.initial_backoff == 10ms));
  BOOST_TEST(p.retry.multiplier == 2.0);
  BOOST_TEST((p.retry.max_backoff == 250ms));
  BOOST_TEST((p.retry.jitter == recourse::Jitter::none));
  BOOST_TEST((p.retry.per_attempt_timeout == 0s));
  BOOST_TEST((p.retry.overall_timeout == 0s));
  BOOST_TEST((p.retry.max_retry_after == 30s));
  BOOST_TEST(p.retry.classifier == "always");
  BOOST_TEST(p.retry.backoff == "exponential");
  BOOST_TEST(p.retry.budget.name.empty());
  BOOST_TEST(!p.hedge.enabled);
  BOOST_TEST(!p.circuit.enabled);
  BOOST_TEST((p.source == recourse::PolicySource::builtin_default));
}

BOOST_DATA_TEST_CASE(clamps_out_of_bounds_fields, boost::unit_test::data::make(clamps), c) {
  Policy input;
  c.configure(input);
  const Policy p = recourse::normalize(input);
  BOOST_TEST(c.expect(p));
  BOOST_TEST(changed_paths(p) == c.changed, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(changes_record_before_and_after_as_config_spells_them) {
  Policy input;
  input.retry.max_attempts = 25;
  input.retry.multiplier = 15;
  input.retry.max_backoff = 1min;
  const Policy p = recourse::normalize(input);
  const std::vector<recourse::FieldChange> expected{
      {"retry.max_attempts", "25", "10"},
      {"retry.max_backoff", "1m", "30s"},
      {"retry.multiplier", "15.0", "10.0"},
  };
  BOOST_TEST((p.normalized == expected));
}

BOOST_AUTO_TEST_CASE(a_field_clamped_twice_is_one_change_from_configured_to_final) {
  Policy input;
  input.retry.max_backoff = 0ms;  // into range (1ms), then up to initial_backoff (10ms)
  const Policy p = recourse::normalize(input);
  const std::vector<recourse::FieldChange> expected{{"retry.max_backoff", "0s", "10ms"}};
  BOOST_TEST((p.normalized == expected));
}

BOOST_AUTO_TEST_CASE(normalizing_twice_changes_nothing_more) {
  Policy input;
  input.retry.max_attempts = 99;
  input.hedge.enabled = true;
  input.hedge.delay = 0ms;
  const Policy once = recourse::normalize(input);
  const Policy twice = recourse::normalize(once);
  BOOST_TEST(once.normalized.size() == 2u);
  BOOST_TEST((twice.normalized == once.normalized));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(policy_enums)

BOOST_AUTO_TEST_CASE(unknown_jitter_is_an_error_naming_value_and_choices) {
  const auto j = recourse::parse_enum<recourse::Jitter>("bogus");
  BOOST_REQUIRE(!j.has_value());
  BOOST_TEST(j.error() == "unknown jitter \"bogus\"; known: none, full, equal, decorrelated");
}

BOOST_AUTO_TEST_CASE(enum_spellings_are_case_sensitive) {
  BOOST_TEST(!recourse::parse_enum<recourse::Jitter>("Full").has_value());
  BOOST_TEST(!recourse::parse_enum<recourse::CircuitKind>("failure-rate").has_value());
}

template <class E>
void check_round_trip() {
  for (std::string_view name : recourse::EnumNames<E>::names) {
    const auto value = recourse::parse_enum<E>(name);
    BOOST_REQUIRE(value.has_value());
    BOOST_TEST(recourse::to_string(*value) == name);
  }
}

BOOST_AUTO_TEST_CASE(every_enum_spelling_round_trips) {
  check_round_trip<recourse::Jitter>();
  check_round_trip<recourse::HedgeTriggerKind>();
  check_round_trip<recourse::CircuitKind>();
  check_round_trip<recourse::WindowType>();
  check_round_trip<recourse::PolicySource>();
  BOOST_TEST(recourse::to_string(recourse::PolicySource::last_known_good) == "lkg");
  BOOST_TEST(recourse::to_string(static_cast<recourse::Jitter>(42)) == "invalid");
}

BOOST_AUTO_TEST_SUITE_END()
