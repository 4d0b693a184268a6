// host/cli/terminal_text: config bytes printed as text can neither drive the terminal nor hide
// text — controls, C1 codes, bidi overrides and invalid UTF-8 come out escaped (issue 10, 20).
#include <boost/test/unit_test.hpp>

#include <string>

#include "terminal_text.hpp"

using recourse::cli::printable;
using recourse::cli::printable_lines;

BOOST_AUTO_TEST_SUITE(terminal_text)

BOOST_AUTO_TEST_CASE(plain_text_and_utf8_letters_pass_unchanged) {
  BOOST_TEST(printable("policies.\"payments.Charge\": 4 attempts × 2s, café") ==
             "policies.\"payments.Charge\": 4 attempts × 2s, café");
}

BOOST_AUTO_TEST_CASE(escape_sequences_and_controls_are_escaped) {
  BOOST_TEST(printable("a\x1b[31mred\x1b]0;title\x07") == "a\\x1b[31mred\\x1b]0;title\\x07");
  BOOST_TEST(printable("tab\there\r\nnext\x7f") == "tab\\there\\r\\nnext\\x7f");
  BOOST_TEST(printable(std::string("nul\0byte", 8)) == "nul\\x00byte");
}

BOOST_AUTO_TEST_CASE(c1_codes_bidi_overrides_and_invalid_utf8_are_escaped) {
  BOOST_TEST(printable("csi\xc2\x9b" "2J") == "csi\\u{009b}2J");
  BOOST_TEST(printable("admin\xe2\x80\xae" "txt.exe") == "admin\\u{202e}txt.exe");
  BOOST_TEST(printable("raw\x9b" "2J\xff") == "raw\\x9b2J\\xff");
  BOOST_TEST(printable("overlong\xc0\xaf") == "overlong\\xc0\\xaf");
  BOOST_TEST(printable("cut\xe2\x80") == "cut\\xe2\\x80");
}

BOOST_AUTO_TEST_CASE(a_block_keeps_its_newlines) {
  BOOST_TEST(printable_lines("row 1\nrow\x1b 2\n") == "row 1\nrow\\x1b 2\n");
}

BOOST_AUTO_TEST_SUITE_END()
