// write_report(): the three files in a directory it creates, the same bytes for the same data,
// and an error that names the path when the directory cannot be made.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "svg_elements.hpp"

import recourse.test.sample_report;

namespace fs = std::filesystem;
namespace report = recourse::host::report;
using recourse::test::contains;

namespace {

struct ScratchDir {
  fs::path path = fs::temp_directory_path() / ("recourse_report_test_" + std::to_string(::getpid()));
  ScratchDir() { fs::remove_all(path); }
  ~ScratchDir() { fs::remove_all(path); }
};

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(write_report)

BOOST_AUTO_TEST_CASE(writes_three_files_into_a_new_directory) {
  ScratchDir scratch;
  const fs::path dir = scratch.path / "nested" / "report";
  const report::ReportData data = recourse::test::sample_report(11, 1000);
  const auto written = report::write_report(data, dir);
  BOOST_REQUIRE_MESSAGE(written.has_value(), (written.has_value() ? "" : written.error()));
  for (const char* name : {"report.html", "timelines.jsonl", "trace.json"}) {
    BOOST_TEST(fs::is_regular_file(dir / name), name);
    BOOST_TEST(fs::file_size(dir / name) > 0u, name);
  }
  BOOST_TEST(read(dir / "report.html") == report::html_report(data));
  BOOST_TEST(read(dir / "trace.json") == report::trace_json(data));
  BOOST_TEST(read(dir / "timelines.jsonl") == report::timelines_jsonl(data));
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_bytes) {
  ScratchDir scratch;
  BOOST_REQUIRE(report::write_report(recourse::test::sample_report(5, 3000), scratch.path / "a").has_value());
  BOOST_REQUIRE(report::write_report(recourse::test::sample_report(5, 3000), scratch.path / "b").has_value());
  for (const char* name : {"report.html", "timelines.jsonl", "trace.json"})
    BOOST_TEST(read(scratch.path / "a" / name) == read(scratch.path / "b" / name), name);
  // And a different seed gives a different report: the bytes do depend on the data.
  BOOST_TEST(report::html_report(recourse::test::sample_report(6, 3000)) != read(scratch.path / "a" / "report.html"));
}

BOOST_AUTO_TEST_CASE(an_unwritable_directory_is_an_error_naming_it) {
  ScratchDir scratch;
  fs::create_directories(scratch.path);
  // A regular file where a directory should be: fails for root too, unlike permission bits.
  std::ofstream(scratch.path / "file") << "x";
  const fs::path dir = scratch.path / "file" / "report";
  const auto written = report::write_report(report::ReportData{}, dir);
  BOOST_REQUIRE(!written.has_value());
  BOOST_TEST(contains(written.error(), dir.string()), written.error());
  BOOST_TEST(contains(written.error(), "cannot create report directory"), written.error());

  const auto into_file = report::write_report(report::ReportData{}, scratch.path / "file");
  BOOST_REQUIRE(!into_file.has_value());
  BOOST_TEST(contains(into_file.error(), (scratch.path / "file").string()), into_file.error());
}

BOOST_AUTO_TEST_CASE(an_unwritable_file_is_an_error_naming_it) {
  ScratchDir scratch;
  // report.html exists as a directory: opening it for writing fails, for root too.
  fs::create_directories(scratch.path / "report.html");
  const auto written = report::write_report(report::ReportData{}, scratch.path);
  BOOST_REQUIRE(!written.has_value());
  BOOST_TEST(contains(written.error(), (scratch.path / "report.html").string()), written.error());
}

BOOST_AUTO_TEST_SUITE_END()
