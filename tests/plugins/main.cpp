// recourse_plugin_tests: the standard plugins and the plugin mechanism, with real .so files.
#define BOOST_TEST_MODULE recourse_plugin_tests
#include <boost/test/unit_test.hpp>
