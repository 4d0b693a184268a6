// recourse.host.analysis:component_sources — names resolve the way the runtime resolves them:
// configured instance, then a plugin's own component, then built-in; budgets by the component
// their `plugin` (or deprecated `backend`) names. The plugin list is written by hand, so no
// shared object is loaded.
#include <boost/test/unit_test.hpp>

#include <deque>
#include <string>
#include <vector>

#include "config_fixture.hpp"

using recourse::ComponentCategory;
using recourse::host::ComponentSource;
using Kind = recourse::host::ComponentSource::Kind;

namespace {

const std::vector<recourse::host::PluginInfo> plugins{
    {"/p/librecourse-http.so", "http", "0.1.0", "fp", {{ComponentCategory::classifier, "http"}}},
    {"/p/librecourse-exponential.so", "exponential", "0.2.0", "fp", {{ComponentCategory::backoff, "exponential"}}},
    {"/p/librecourse-token_bucket.so", "token_bucket", "0.1.0", "fp", {{ComponentCategory::budget, "token_bucket"}}},
    {"/p/librecourse-bounded_percentile.so", "bounded_percentile", "1.0.0", "fp",
     {{ComponentCategory::trigger, "bounded_percentile"}}},
};

// The built-ins and the hand-written plugins, as the runtime would catalogue them.
const recourse::host::ComponentCatalogue& catalogue(const std::vector<recourse::host::PluginInfo>& with) {
  static std::deque<recourse::host::ComponentCatalogue> made;  // one per call, kept (stable) for the test run
  made.emplace_back();
  for (const recourse::host::PluginInfo& info : with) made.back().add_plugin_info(info);
  return made.back();
}

// Parsed on first use, inside a test, so a broken fixture fails that test.
const recourse::host::Config& config() {
  static const auto parsed = cli_test::parse(R"(
[classifiers.internal_http]
plugin = "http"

[classifiers.broken]
plugin = "nosuch"

[classifiers.from_builtin]
plugin = "always"

[budgets.limited]
plugin = "token_bucket"

[budgets.free]
plugin = "unlimited"

[budgets.orphan]
backend = "redis"  # the deprecated spelling of plugin

[triggers.tail]
plugin = "bounded_percentile"
)");
  return parsed;
}

std::vector<ComponentSource> sources(const recourse::Policy& policy) {
  return recourse::host::component_sources(policy, config(), catalogue(plugins));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(component_sources)

BOOST_AUTO_TEST_CASE(the_built_in_policy_uses_the_built_in_classifier_and_a_plugin_backoff_of_the_same_name) {
  const auto found = sources(recourse::Policy{});
  BOOST_REQUIRE_EQUAL(found.size(), 2u);  // no budget named
  BOOST_TEST(found[0].role == "classifier");
  BOOST_TEST(found[0].name == "always");
  BOOST_TEST((found[0].kind == Kind::builtin));
  // A loaded plugin's `exponential` takes the name before the built-in, as in the executor.
  BOOST_TEST((found[1].kind == Kind::plugin));
  BOOST_TEST(found[1].plugin == "exponential 0.2.0");
  BOOST_TEST(found[1].file == "/p/librecourse-exponential.so");
}

BOOST_AUTO_TEST_CASE(without_plugins_the_built_ins_serve) {
  const auto found = recourse::host::component_sources(recourse::Policy{}, config(), catalogue({}));
  BOOST_TEST((found[1].kind == Kind::builtin));
}

BOOST_AUTO_TEST_CASE(a_configured_instance_is_served_by_the_plugin_component_it_names) {
  recourse::Policy p;
  p.retry.classifier = "internal_http";
  const auto found = sources(p);
  BOOST_TEST((found[0].kind == Kind::plugin));
  BOOST_TEST(found[0].plugin == "http 0.1.0");
  BOOST_TEST(found[0].detail == "[classifiers.internal_http], component http");
}

BOOST_AUTO_TEST_CASE(unknown_names_and_unprovided_components_are_missing_with_the_reason) {
  recourse::Policy p;
  p.retry.classifier = "broken";
  p.retry.backoff = "fibonacci";
  const auto found = sources(p);
  BOOST_TEST((found[0].kind == Kind::missing));
  BOOST_TEST(found[0].detail.find("\"nosuch\", which no loaded plugin provides") != std::string::npos, found[0].detail);
  BOOST_TEST((found[1].kind == Kind::missing));
  BOOST_TEST(found[1].detail.find("no backoff named \"fibonacci\"") != std::string::npos, found[1].detail);
}

// Issue 11 item 6: explain decides as the runtime does — a built-in that takes no table cannot
// be named by one.
BOOST_AUTO_TEST_CASE(a_table_naming_a_built_in_without_a_factory_is_missing) {
  recourse::Policy p;
  p.retry.classifier = "from_builtin";
  const auto found = sources(p);
  BOOST_TEST((found[0].kind == Kind::missing));
  BOOST_TEST(found[0].detail ==
             "[classifiers.from_builtin] names the built-in \"always\", which takes no table; name "
             "\"always\" directly");
}

BOOST_AUTO_TEST_CASE(budgets_are_served_by_the_component_they_name) {
  recourse::Policy p;
  p.retry.budget.name = "limited";
  p.hedge.enabled = true;
  p.hedge.budget.name = "free";
  auto found = sources(p);
  BOOST_REQUIRE_EQUAL(found.size(), 4u);
  BOOST_TEST(found[2].role == "retry budget");
  BOOST_TEST((found[2].kind == Kind::plugin));
  BOOST_TEST(found[2].plugin == "token_bucket 0.1.0");
  BOOST_TEST(found[3].role == "hedge budget");
  BOOST_TEST((found[3].kind == Kind::builtin));
  BOOST_TEST(found[3].detail == "[budgets.free], built-in unlimited: never refuses");

  p.retry.budget.name = "orphan";
  p.hedge.budget.name = "undeclared";
  found = sources(p);
  BOOST_TEST((found[2].kind == Kind::missing));
  BOOST_TEST(found[2].detail.find("names component \"redis\", which no loaded plugin provides") != std::string::npos,
             found[2].detail);
  BOOST_TEST((found[3].kind == Kind::missing));
  BOOST_TEST(found[3].detail == "no [budgets.undeclared] section");
}

BOOST_AUTO_TEST_CASE(a_hedge_budget_is_listed_only_while_hedging_is_on) {
  recourse::Policy p;
  p.hedge.budget.name = "free";
  BOOST_TEST(sources(p).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_custom_hedge_trigger_is_served_by_its_plugin) {
  recourse::Policy p;
  p.hedge.enabled = true;
  p.hedge.trigger = recourse::HedgeTriggerKind::custom;
  p.hedge.trigger_name = "tail";
  auto found = sources(p);
  BOOST_REQUIRE(found.size() == 3u);
  BOOST_TEST(found[2].role == "hedge trigger");
  BOOST_TEST((found[2].kind == Kind::plugin));
  BOOST_TEST(found[2].detail == "[triggers.tail], component bounded_percentile");
  p.hedge.trigger_name = "nope";
  found = sources(p);
  BOOST_TEST((found[2].kind == Kind::missing));
  p.hedge.trigger = recourse::HedgeTriggerKind::p95;
  BOOST_TEST(sources(p).size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
