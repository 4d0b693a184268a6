// The bounded_percentile hedge trigger, loaded as a real shared object and used through a
// runtime built from TOML: warm-up before min_samples, then percentile × multiplier within
// [min, max], and its parameters validated.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "plugin_harness.hpp"

namespace {

using namespace std::chrono_literals;
using plugin_harness::no_services;
using plugin_harness::Table;

recourse::HedgeTriggerInput input_with(const recourse::LatencyView* latencies) {
  static const recourse::HedgePolicy policy;
  return {"svc.Get", 0, &policy, latencies};
}

class FixedLatencies final : public recourse::LatencyView {
 public:
  explicit FixedLatencies(std::optional<recourse::Duration> answer) : answer_(answer) {}
  std::optional<recourse::Duration> percentile(double p) const noexcept override {
    asked = p;
    return answer_;
  }
  std::size_t samples() const noexcept override { return answer_ ? 100 : 0; }
  mutable double asked = 0;

 private:
  std::optional<recourse::Duration> answer_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(trigger_plugins)

BOOST_AUTO_TEST_CASE(bounded_percentile_scales_and_bounds_the_percentile) {
  const auto trigger = plugin_harness::create<recourse::HedgeTrigger>(
      recourse::ComponentCategory::trigger, "bounded_percentile",
      Table().add("percentile", 90).add("multiplier", 2.0).add("min", "5ms").add("max", "150ms").add("warmup", "40ms"),
      no_services);
  const FixedLatencies p90_is_20ms(20ms), p90_is_1ms(1ms), p90_is_1s(1s), cold(std::nullopt);
  BOOST_TEST((trigger->delay(input_with(&p90_is_20ms)) == recourse::Duration(40ms)));
  BOOST_TEST(p90_is_20ms.asked == 90.0);
  BOOST_TEST((trigger->delay(input_with(&p90_is_1ms)) == recourse::Duration(5ms)));   // min
  BOOST_TEST((trigger->delay(input_with(&p90_is_1s)) == recourse::Duration(150ms)));  // max
  BOOST_TEST((trigger->delay(input_with(&cold)) == recourse::Duration(40ms)));        // warm-up
}

BOOST_AUTO_TEST_CASE(without_warmup_a_cold_key_is_not_hedged) {
  const auto trigger = plugin_harness::create<recourse::HedgeTrigger>(recourse::ComponentCategory::trigger,
                                                                      "bounded_percentile", Table(), no_services);
  const FixedLatencies cold(std::nullopt);
  BOOST_TEST(!trigger->delay(input_with(&cold)).has_value());
}

BOOST_AUTO_TEST_CASE(bad_parameters_are_config_errors) {
  const auto errors = plugin_harness::errors_creating<recourse::HedgeTrigger>(
      recourse::ComponentCategory::trigger, "bounded_percentile",
      Table().add("percentile", 0).add("min", "1s").add("max", "1ms").add("bogus", 1), no_services);
  std::string all;
  for (const auto& e : errors) all += recourse::to_string(e) + "\n";
  BOOST_TEST(all.find("percentile") != std::string::npos, all);
  BOOST_TEST(all.find("bogus") != std::string::npos, all);
}

BOOST_AUTO_TEST_CASE(a_custom_trigger_from_toml_starts_the_hedge) {
  const std::string toml = std::string("[plugins]\npaths = [\"") + RECOURSE_PLUGIN_DIR +
                           "\"]\nload = [\"bounded_percentile\"]\n"
                           "[triggers.tail]\nplugin = \"bounded_percentile\"\nwarmup = \"30ms\"\n"
                           "[defaults]\nretry.max_attempts = 1\nhedge.enabled = true\nhedge.max_hedges = 1\n"
                           "hedge.trigger = \"custom\"\nhedge.trigger_name = \"tail\"\n";
  auto config = recourse::host::parse_config(toml, "trigger.toml");
  BOOST_REQUIRE_MESSAGE(config.has_value(), (config ? "" : recourse::host::to_string(config.error())));
  auto virtual_clock = std::make_shared<recourse::VirtualClock>();
  auto runtime = recourse::host::build_runtime(*config, {virtual_clock});
  BOOST_REQUIRE_MESSAGE(runtime.has_value(), (runtime ? "" : recourse::host::to_string(runtime.error())));
  const recourse::ClockWorkScope working(*virtual_clock);
  recourse::Timeline timeline;
  const auto result = (*runtime)->executor->try_run("svc.Get",
                                                    [&](const recourse::Attempt& a) {
                                                      virtual_clock->sleep_until(
                                                          virtual_clock->now() + (a.is_hedge ? 10ms : 100ms), a.stop);
                                                      return a.hedge_index;
                                                    },
                                                    {.timeline = &timeline});
  BOOST_REQUIRE(result.has_value());
  BOOST_TEST(*result == 1);  // the hedge, started at the 30ms warm-up, won at 40ms
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(timeline.end - timeline.start).count() == 40);
}

BOOST_AUTO_TEST_CASE(a_policy_naming_an_unknown_trigger_is_a_config_error) {
  auto config = recourse::host::parse_config(
      "[defaults]\nhedge.enabled = true\nhedge.trigger = \"custom\"\n"
      "hedge.trigger_name = \"nope\"\n",
      "trigger.toml");
  BOOST_REQUIRE(config.has_value());
  auto runtime = recourse::host::build_runtime(*config, {std::make_shared<recourse::VirtualClock>()});
  BOOST_REQUIRE(!runtime.has_value());
  BOOST_TEST(recourse::host::to_string(runtime.error()).find("no hedge trigger named \"nope\"") != std::string::npos,
             recourse::host::to_string(runtime.error()));
}

BOOST_AUTO_TEST_SUITE_END()
