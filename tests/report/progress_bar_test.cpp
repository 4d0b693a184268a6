// ProgressBar: draws only when asked to (a terminal), reaches 100% and ends its line, and
// redraws a bounded number of times however many calls advance it.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "svg_elements.hpp"

import recourse.host.report;

namespace report = recourse::host::report;
using recourse::test::contains;
using recourse::test::count;

namespace {

std::string contents(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  for (int c; (c = std::fgetc(file)) != EOF;) text += static_cast<char>(c);
  return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(progress_bar)

BOOST_AUTO_TEST_CASE(draws_to_a_terminal_until_finished) {
  std::FILE* out = std::tmpfile();
  BOOST_REQUIRE(out);
  {
    report::ProgressBar bar(100000, "variant 1/2", out, true);
    BOOST_TEST(bar.drawing());
    for (int i = 0; i < 50000; ++i) bar.advance();
    bar.set_label("variant 2/2");
    for (int i = 0; i < 50000; ++i) bar.advance();
    bar.finish();
    bar.finish();  // once only
  }
  const std::string text = contents(out);
  std::fclose(out);
  BOOST_TEST(contains(text, "variant 1/2 ["));
  BOOST_TEST(contains(text, " 50%  50000/100000"));
  BOOST_TEST(contains(text, "variant 2/2 [##############################] 100%  100000/100000"));
  BOOST_TEST(text.ends_with("\n"));
  BOOST_TEST(count(text, "\n") == 1u);
  BOOST_TEST(count(text, "\r") <= 210u);  // ~200 steps, not one line per call
}

BOOST_AUTO_TEST_CASE(counts_calls_from_many_threads) {
  std::FILE* out = std::tmpfile();
  BOOST_REQUIRE(out);
  {
    report::ProgressBar bar(40000, "calls", out, true);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        for (int i = 0; i < 10000; ++i) bar.advance();
      });
    for (auto& t : threads) t.join();
  }  // the destructor finishes the line
  const std::string text = contents(out);
  std::fclose(out);
  BOOST_TEST(contains(text, "100%  40000/40000\x1b[K\n"));
}

BOOST_AUTO_TEST_CASE(prints_nothing_when_not_drawing) {
  std::FILE* out = std::tmpfile();
  BOOST_REQUIRE(out);
  {
    report::ProgressBar bar(10, "calls", out, false);
    BOOST_TEST(!bar.drawing());
    for (int i = 0; i < 10; ++i) bar.advance();
  }
  BOOST_TEST(contents(out).empty());
  std::fclose(out);
}

BOOST_AUTO_TEST_CASE(draws_on_stderr_only_when_it_is_a_terminal) {
  report::ProgressBar bar(10, "calls");
  BOOST_TEST(bar.drawing() == (::isatty(::fileno(stderr)) != 0));
  if (!bar.drawing()) bar.advance(10);
}

BOOST_AUTO_TEST_SUITE_END()
