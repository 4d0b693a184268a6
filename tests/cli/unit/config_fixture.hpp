// Parsing a config from text for the analysis tests; a parse failure fails the test with the
// errors, so a typo in a fixture cannot pass as "no warnings".
#pragma once

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

import recourse.host.analysis;

namespace cli_test {

inline recourse::host::Config parse(std::string_view text) {
  auto config = recourse::host::parse_config(text, "test.toml");
  // Boost builds the message even when the check passes: never touch error() of a value.
  BOOST_REQUIRE_MESSAGE(config.has_value(), (config ? "" : recourse::host::to_string(config.error())));
  return std::move(*config);
}

inline recourse::host::ConfiguredPolicy policy_of(const recourse::host::Config& config, std::string_view key) {
  return recourse::host::configured_policy(config.policies, *recourse::Key::parse(key));
}

inline std::vector<std::string> codes(const std::vector<recourse::host::Warning>& warnings) {
  std::vector<std::string> out;
  for (const auto& w : warnings) out.push_back(w.code);
  return out;
}

inline bool has(const std::vector<std::string>& codes, std::string_view code) {
  return std::ranges::find(codes, code) != codes.end();
}

}  // namespace cli_test
