// recourse_host_tests: TOML loading, config errors and the schema documentation.
#define BOOST_TEST_MODULE recourse_host_tests
#include <boost/test/unit_test.hpp>
