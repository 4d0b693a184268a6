// recourse_cli_tests: the pure parts of the `recourse` tool — the validate warnings, the
// worst-case arithmetic, which component serves a name, argument parsing and JSON output.
#define BOOST_TEST_MODULE recourse_cli_tests
#include <boost/test/unit_test.hpp>
