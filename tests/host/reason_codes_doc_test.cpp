// docs/reason-codes.md is the contract for reason codes and timeline fields: this test reads
// the code that defines them and fails on any the document does not list.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

import recourse.core;

namespace {

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string& doc() {
  static const std::string text = read(RECOURSE_SOURCE_DIR "/docs/reason-codes.md");
  return text;
}

bool documented(const std::string& code) { return doc().find("`" + code + "`") != std::string::npos; }

// Every `name` of the members of `type_name` declared in `source` (simple `T name = ...;` lines).
std::set<std::string> members(const std::string& source, const std::string& type_name) {
  std::set<std::string> names;
  const auto start = source.find("struct " + type_name + " {");
  BOOST_REQUIRE(start != std::string::npos);
  const auto end = source.find("\n};", start);
  const std::string body = source.substr(start, end - start);
  static const std::regex member(R"(\n  [A-Za-z_:<>, ]+ ([a-z_]+)(\{\})?( = [^;]+)?;)");
  for (std::sregex_iterator it(body.begin(), body.end(), member), last; it != last; ++it) names.insert((*it)[1]);
  return names;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reason_codes_doc)

BOOST_AUTO_TEST_CASE(every_named_reason_code_is_documented) {
  const std::string source = read(RECOURSE_SOURCE_DIR "/modules/plugin/outcome.cppm");
  static const std::regex constant(R"re(inline constexpr std::string_view [a-z_0-9]+ = "([a-z_0-9]+)";)re");
  int found = 0;
  for (std::sregex_iterator it(source.begin(), source.end(), constant), last; it != last; ++it, ++found)
    BOOST_TEST(documented((*it)[1]), (*it)[1] << " is not in docs/reason-codes.md");
  BOOST_TEST(found >= 25);
}

BOOST_AUTO_TEST_CASE(every_reason_code_a_plugin_declares_is_documented) {
  // A plugin's own codes (a budget backend's, BudgetDecision::reason) are declared like the
  // core's, in a `namespace reason { … }` block of one of its files.
  static const std::regex block(R"re(namespace reason \{([^}]*)\})re");
  static const std::regex constant(R"re(inline constexpr std::string_view [a-z_0-9]+ = "([a-z_0-9]+)";)re");
  int found = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(RECOURSE_SOURCE_DIR "/plugins")) {
    const auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".cppm" && ext != ".hpp")) continue;
    const std::string text = read(entry.path());
    for (std::sregex_iterator b(text.begin(), text.end(), block), last; b != last; ++b) {
      const std::string body = (*b)[1];
      for (std::sregex_iterator it(body.begin(), body.end(), constant); it != last; ++it, ++found)
        BOOST_TEST(documented((*it)[1]), (*it)[1] << " (" << entry.path() << ") is not in docs/reason-codes.md");
    }
  }
  BOOST_TEST(found >= 1);  // budget_redis_unavailable, at least
}

BOOST_AUTO_TEST_CASE(reason_families_are_documented_as_patterns) {
  BOOST_TEST(documented("http_<status>"));
  BOOST_TEST(documented("grpc_<code>"));
  BOOST_TEST(documented("http_invalid_status"));
  BOOST_TEST(documented("grpc_invalid_code"));
  for (int status = 100; status < 600; ++status) BOOST_TEST(recourse::http_reason(status).starts_with("http_"));
  BOOST_TEST(recourse::http_reason(503) == "http_503");
  BOOST_TEST(recourse::http_reason(42) == "http_invalid_status");
  BOOST_TEST(recourse::grpc_reason(14) == "grpc_unavailable");
  BOOST_TEST(recourse::grpc_reason(99) == "grpc_invalid_code");
}

BOOST_AUTO_TEST_CASE(no_reason_literal_bypasses_the_reason_namespace) {
  // Reasons the executor and built-ins emit come from `reason::`, http_reason or grpc_reason;
  // a string literal handed to an Outcome would slip past the list above.
  static const std::regex literal_outcome(R"re(OutcomeKind::[a-z_]+, ")re");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(RECOURSE_SOURCE_DIR "/modules")) {
    if (!entry.is_regular_file()) continue;
    const std::string text = read(entry.path());
    BOOST_TEST(!std::regex_search(text, literal_outcome), entry.path() << " builds an Outcome from a literal");
  }
}

BOOST_AUTO_TEST_CASE(key_errors_and_modes_are_documented) {
  for (auto e : {recourse::KeyError::empty, recourse::KeyError::control_character, recourse::KeyError::too_long})
    BOOST_TEST(documented(std::string(recourse::to_string(e))));
  const std::string state = read(RECOURSE_SOURCE_DIR "/modules/executor/executor_state.cpp");
  static const std::regex mode(R"re(modes_used\.push_back\("([a-z:]+)"\))re");
  int found = 0;
  for (std::sregex_iterator it(state.begin(), state.end(), mode), last; it != last; ++it, ++found)
    BOOST_TEST(documented((*it)[1]), (*it)[1] << " is not documented");
  BOOST_TEST(found >= 10);
}

BOOST_AUTO_TEST_CASE(every_timeline_field_is_documented) {
  const std::string source = read(RECOURSE_SOURCE_DIR "/modules/plugin/timeline.cppm");
  for (const char* type : {"Timeline", "AttemptRecord"}) {
    const auto fields = members(source, type);
    BOOST_TEST(fields.size() >= 10u, type);
    for (const auto& f : fields) BOOST_TEST(documented(f), type << "::" << f << " is not documented");
  }
}

BOOST_AUTO_TEST_SUITE_END()
