// recourse.host.analysis:key_cardinality — keys that embed ids are flagged, ordinary operation
// names are not, and a namespace past the limit is flagged at the first key beyond it.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "config_fixture.hpp"

namespace data = boost::unit_test::data;
using recourse::host::generated_looking;

namespace {

const std::vector<std::string> generated{
    "users.Get123456",                                       // six digits
    "orders.1700000000",                                     // a timestamp
    "jobs.Run-123e4567-e89b-12d3-a456-426614174000",         // a UUID
    "jobs.123E4567-E89B-12D3-A456-426614174000",             // upper-case UUID
    "blobs.Put.5f2b9c0e7d1a",                                // 12 hex digits
    "blobs.order_0123456789abcdef",                          // hex after an underscore
    "sessions.Get:a3f1c9e2b7d4",                             // hex after a colon
    "tenant-482913.List",                                    // the id in the namespace
};
const std::vector<std::string> ordinary{
    "payments.Charge",
    "catalog.GetItem",
    "s3.PutObject",            // a short digit
    "oauth2.Token",
    "api.v12345",              // five digits
    "cache.deadbeefcafe",      // hex letters, but a word: no digit
    "blobs.5f2b9c0e7d1",       // 11 hex digits
    "grpc.Health.Check",
};

}  // namespace

BOOST_AUTO_TEST_SUITE(key_cardinality)

BOOST_DATA_TEST_CASE(keys_that_embed_ids_look_generated, data::make(generated), key) {
  BOOST_TEST(generated_looking(key).has_value(), key);
}

BOOST_DATA_TEST_CASE(operation_names_do_not, data::make(ordinary), key) {
  const auto why = generated_looking(key);
  BOOST_TEST(!why.has_value(), key << ": " << why.value_or(""));
}

BOOST_AUTO_TEST_CASE(the_reason_names_what_was_found) {
  BOOST_TEST(*generated_looking("jobs.Run-123e4567-e89b-12d3-a456-426614174000") ==
             "it holds a UUID \"123e4567-e89b-12d3-a456-426614174000\"");
  BOOST_TEST(*generated_looking("users.Get12345678") == "it holds a run of 8 digits \"12345678\"");
  BOOST_TEST(*generated_looking("blobs.Put.5f2b9c0e7d1a") == "it holds a hex id \"5f2b9c0e7d1a\" (12 hex digits)");
}

BOOST_AUTO_TEST_CASE(configured_keys_and_wildcards_are_checked_at_their_headers) {
  const auto config = cli_test::parse(R"(
[policies."users.Get123456"]
retry.max_attempts = 1

[policies."tenant123456.*"]
retry.max_attempts = 1

[policies."users.Get"]
retry.max_attempts = 1
)");
  const auto warnings = recourse::host::key_cardinality_warnings(config.policies, 50);
  BOOST_REQUIRE_EQUAL(warnings.size(), 2u);
  BOOST_TEST(warnings[0].code == "high-cardinality-key");
  BOOST_TEST(warnings[0].key == "users.Get123456");
  BOOST_TEST(warnings[0].where.line == 2u);
  BOOST_TEST(warnings[1].key == "tenant123456.*");
  BOOST_TEST(warnings[1].where.line == 5u);
}

BOOST_AUTO_TEST_CASE(a_namespace_past_the_limit_is_flagged_at_the_first_key_beyond_it) {
  // Written out of alphabetical order: the limit is crossed in file order.
  const auto config = cli_test::parse(R"(
[policies."a.Zeta"]
[policies."a.Alpha"]
[policies."a.Mid"]
[policies."b.One"]
[policies."b.Two"]
)");
  const auto at_two = recourse::host::key_cardinality_warnings(config.policies, 2);
  BOOST_REQUIRE_EQUAL(at_two.size(), 1u);
  BOOST_TEST(at_two[0].code == "too-many-keys-in-namespace");
  BOOST_TEST(at_two[0].key == "a.*");
  BOOST_TEST(at_two[0].where.line == 4u);  // a.Mid, the third key of namespace a in the file
  BOOST_TEST(at_two[0].message.find("3 keys") != std::string::npos);
  // Exactly at the limit is fine.
  BOOST_TEST(recourse::host::key_cardinality_warnings(config.policies, 3).empty());
}

BOOST_AUTO_TEST_SUITE_END()
