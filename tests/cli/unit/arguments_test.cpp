// host/cli/arguments: options in any order, both spellings of a value, and usage errors for
// what the subcommand does not know.
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "arguments.hpp"

using recourse::cli::OutputFormat;
using recourse::cli::parse_arguments;

namespace {

constexpr std::string_view values[]{"--format", "--max-keys-per-namespace"};
constexpr std::string_view flags[]{"--strict"};

recourse::cli::Arguments parse(std::vector<std::string_view> args) { return parse_arguments(args, values, flags); }

}  // namespace

BOOST_AUTO_TEST_SUITE(arguments)

BOOST_AUTO_TEST_CASE(options_may_come_before_between_or_after_positionals) {
  const auto a = parse({"--strict", "config.toml", "--format", "json", "key", "--max-keys-per-namespace=7"});
  BOOST_TEST(a.error.empty());
  BOOST_TEST(a.positional == (std::vector<std::string_view>{"config.toml", "key"}));
  BOOST_TEST(a.flag("--strict"));
  BOOST_TEST(*a.value("--format") == "json");
  BOOST_TEST(*a.value("--max-keys-per-namespace") == "7");
}

BOOST_AUTO_TEST_CASE(unknown_options_and_missing_values_are_errors) {
  BOOST_TEST(parse({"config.toml", "--frmat", "json"}).error == "unknown option \"--frmat\"");
  BOOST_TEST(parse({"config.toml", "--format"}).error == "--format needs a value");
  BOOST_TEST(parse({"--strict=yes"}).error == "unknown option \"--strict=yes\"");
}

BOOST_AUTO_TEST_CASE(help_is_recognised_anywhere_and_a_double_dash_ends_options) {
  BOOST_TEST(parse({"config.toml", "-h"}).help);
  const auto a = parse({"--", "--strict"});
  BOOST_TEST(!a.flag("--strict"));
  BOOST_TEST(a.positional == (std::vector<std::string_view>{"--strict"}));
}

BOOST_AUTO_TEST_CASE(the_format_is_text_json_or_an_error) {
  std::string why;
  BOOST_TEST((*recourse::cli::output_format(parse({}), why) == OutputFormat::text));
  BOOST_TEST((*recourse::cli::output_format(parse({"--format=json"}), why) == OutputFormat::json));
  BOOST_TEST(!recourse::cli::output_format(parse({"--format", "yaml"}), why).has_value());
  BOOST_TEST(why == "unknown format \"yaml\"; known: text, json");
}

BOOST_AUTO_TEST_SUITE_END()
