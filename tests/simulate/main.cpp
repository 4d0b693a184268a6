#define BOOST_TEST_MODULE recourse simulate tests
#include <boost/test/unit_test.hpp>
