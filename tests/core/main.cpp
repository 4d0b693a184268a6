// recourse_core_tests: the modules of librecourse_core (keys, durations, policies).
#define BOOST_TEST_MODULE recourse_core_tests
#include <boost/test/unit_test.hpp>
