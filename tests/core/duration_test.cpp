// recourse.policy:duration — the config spelling of time.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

import recourse.core;

using namespace std::chrono_literals;

namespace {

struct DurationCase {
  std::string text;
  std::int64_t nanoseconds;
};

std::ostream& operator<<(std::ostream& out, const DurationCase& c) { return out << '"' << c.text << '"'; }

const std::vector<DurationCase> valid{
    {"0", 0},
    {"0s", 0},
    {"250ms", 250'000'000},
    {"1.5s", 1'500'000'000},
    {"2m", 120'000'000'000},
    {"1m30s", 90'000'000'000},
    {"1h", 3'600'000'000'000},
    {"10us", 10'000},
    {"10\xC2\xB5s", 10'000},
    {"100ns", 100},
    {".5s", 500'000'000},
    {"+3s", 3'000'000'000},
    {"1.s", 1'000'000'000},
    {"0.001ms", 1'000},
    {"1.0000000001s", 1'000'000'000},
    {"2h45m", 9'900'000'000'000},
    {"9223372036854775807ns", INT64_MAX},
};

const std::vector<std::string> invalid{
    "", "-1s", "10", "5x", "ms", "1e3s", "s", "1 s", "9223372036854775808ns", "3000000h", "1m-2s", "abc",
};

}  // namespace

BOOST_AUTO_TEST_SUITE(duration)

BOOST_DATA_TEST_CASE(parses_go_style_durations, boost::unit_test::data::make(valid), c) {
  const auto d = recourse::parse_duration(c.text);
  BOOST_REQUIRE_MESSAGE(d.has_value(), (d ? "" : d.error()));  // the message is built either way
  BOOST_TEST(d->count() == c.nanoseconds);
}

BOOST_DATA_TEST_CASE(rejects_malformed_negative_and_overflowing_text, boost::unit_test::data::make(invalid), text) {
  const auto d = recourse::parse_duration(text);
  BOOST_REQUIRE(!d.has_value());
  BOOST_TEST(d.error().find("\"" + text + "\"") != std::string::npos, "message quotes the input: " << d.error());
}

BOOST_AUTO_TEST_CASE(negative_durations_say_so) {
  BOOST_TEST(recourse::parse_duration("-5ms").error().find("negative") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(formats_in_the_largest_unit_that_divides_exactly) {
  BOOST_TEST(recourse::format_duration(0s) == "0s");
  BOOST_TEST(recourse::format_duration(250ms) == "250ms");
  BOOST_TEST(recourse::format_duration(90s) == "90s");
  BOOST_TEST(recourse::format_duration(120s) == "2m");
  BOOST_TEST(recourse::format_duration(1500ms) == "1500ms");
  BOOST_TEST(recourse::format_duration(3h) == "3h");
  BOOST_TEST(recourse::format_duration(1ns) == "1ns");
  BOOST_TEST(recourse::format_duration(-5ms) == "-5ms");
  BOOST_TEST(recourse::format_duration(recourse::Duration(INT64_MIN)) == "-9223372036854775808ns");
}

BOOST_DATA_TEST_CASE(formatting_round_trips, boost::unit_test::data::make(valid), c) {
  const recourse::Duration d(c.nanoseconds);
  const auto back = recourse::parse_duration(recourse::format_duration(d));
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->count() == c.nanoseconds);
}

BOOST_AUTO_TEST_SUITE_END()
