// docs/policy-schema.md documents every field of the catalogue: a field added to the code
// without documentation fails here.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>
#include <string>

import recourse.core;

BOOST_AUTO_TEST_SUITE(schema_doc)

BOOST_AUTO_TEST_CASE(every_policy_field_is_documented) {
  std::ifstream in(RECOURSE_SOURCE_DIR "/docs/policy-schema.md");
  BOOST_REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  for (const recourse::FieldInfo& f : recourse::policy_fields())
    BOOST_TEST(doc.find("`" + std::string(f.path) + "`") != std::string::npos, f.path << " is not documented");
}

BOOST_AUTO_TEST_SUITE_END()
