// docs/cli.md lists exactly the warning codes validate emits: the codes are a contract that
// scripts match on, so the table and the code must not drift apart.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

import recourse.host.analysis;

BOOST_AUTO_TEST_SUITE(cli_doc)

BOOST_AUTO_TEST_CASE(the_warning_table_lists_every_code_and_no_other) {
  std::ifstream in(RECOURSE_SOURCE_DIR "/docs/cli.md");
  BOOST_REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const auto start = doc.find("### Warnings");
  BOOST_REQUIRE(start != std::string::npos);
  const std::string section = doc.substr(start, doc.find("\n## ", start) - start);

  std::set<std::string> documented;
  const std::regex row(R"(\n\| `([a-z-]+)` \|)");
  for (auto it = std::sregex_iterator(section.begin(), section.end(), row); it != std::sregex_iterator(); ++it)
    documented.insert((*it)[1]);
  const std::set<std::string> emitted(recourse::host::warning_code::all.begin(), recourse::host::warning_code::all.end());
  BOOST_TEST(documented == emitted, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
