// recourse_report_tests: the simulator's report — summary numbers, the text table, report.html
// and its charts, the trace files, determinism and robustness to odd or empty data.
#define BOOST_TEST_MODULE recourse_report_tests
#include <boost/test/unit_test.hpp>
