// The standard observers, loaded from librecourse-log.so, librecourse-jsonl.so and
// librecourse-trace.so: what they write, how they refuse bad config, that they hold up under
// many threads, and — end to end — what a real Executor's call looks like through each.
// Files go to a fresh directory under the system temp dir; what the observers write is parsed
// (nlohmann-json) and checked for the right values, not just the right text.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "plugin_harness.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using plugin_harness::Table;
using recourse::AttemptRecord;
using recourse::ComponentCategory;
using recourse::OutcomeKind;
using recourse::Timeline;

namespace {

// ---- scaffolding ------------------------------------------------------------------------

// A fresh directory, removed with everything in it at the end of the test (kept, to open the
// files in a viewer, when RECOURSE_KEEP_TEST_FILES is set).
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::random_device seed;
    path = fs::temp_directory_path() /
           ("recourse-observers-" + std::to_string(::getpid()) + "-" + std::to_string(seed()));
    fs::create_directories(path);
  }
  ~ScratchDir() {
    if (std::getenv("RECOURSE_KEEP_TEST_FILES") != nullptr) return;
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  std::string file(std::string_view name) const { return (path / name).string(); }
};

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "cannot read " << path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t from = 0;
  for (std::size_t nl; (nl = text.find('\n', from)) != std::string::npos; from = nl + 1)
    lines.push_back(text.substr(from, nl - from));
  BOOST_TEST(from == text.size(), "text does not end with a newline");
  return lines;
}

// The host's logger, as the log observer sees it: records every line with its level.
class RecordingLogger final : public recourse::Logger {
 public:
  void log(recourse::LogLevel level, std::string_view message) noexcept override {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(level, std::string(message));
  }
  std::vector<std::pair<recourse::LogLevel, std::string>> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<recourse::LogLevel, std::string>> lines_;
};

std::shared_ptr<recourse::Observer> make_observer(std::string_view plugin, const Table& table,
                                                  recourse::Logger* logger = nullptr) {
  const recourse::PluginContext services{nullptr, nullptr, logger};
  return plugin_harness::create<recourse::Observer>(ComponentCategory::observer, plugin, table, services);
}

std::vector<recourse::ConfigError> refusal(std::string_view plugin, const Table& table,
                                           recourse::Logger* logger = nullptr) {
  const recourse::PluginContext services{nullptr, nullptr, logger};
  return plugin_harness::errors_creating<recourse::Observer>(ComponentCategory::observer, plugin, table, services);
}

std::set<std::string> field_paths(const std::vector<recourse::ConfigError>& errors) {
  std::set<std::string> paths;
  for (const auto& e : errors) paths.insert(e.field_path);
  return paths;
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// ---- JSON as the tests read it ----------------------------------------------------------

struct Json {
  enum class Type { null, boolean, number, string, array, object } type = Type::null;
  bool boolean = false;
  std::string text;  // a string's decoded value, or a number as written
  std::vector<Json> items;        // an array's elements, or an object's values…
  std::vector<std::string> keys;  // …and their keys (a pair would need Json complete)

  const Json& operator[](std::string_view key) const {
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) return items[i];
    throw std::out_of_range("no field \"" + std::string(key) + "\"");
  }
  const Json& operator[](std::size_t i) const { return items.at(i); }
  bool has(std::string_view key) const { return std::ranges::find(keys, key) != keys.end(); }
  std::int64_t integer() const {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (type != Type::number || ec != std::errc() || end != text.data() + text.size())
      throw std::runtime_error("not an integer: " + text);
    return v;
  }
  double number() const {
    if (type != Type::number) throw std::runtime_error("not a number");
    return std::stod(text);
  }
  const std::string& str() const {
    if (type != Type::string) throw std::runtime_error("not a string");
    return text;
  }
};

// nlohmann-json parses (strictly: bad escaping or invalid UTF-8 fails it); the tests read the
// result through the small Json above.
class JsonParser {
 public:
  static Json parse(std::string_view s) {
    if (!nlohmann::ordered_json::accept(s)) throw std::runtime_error("not valid JSON: " + std::string(s.substr(0, 80)));
    return convert(nlohmann::ordered_json::parse(s));
  }

 private:
  static Json convert(const nlohmann::ordered_json& j) {
    using value_t = nlohmann::ordered_json::value_t;
    Json v;
    switch (j.type()) {
      case value_t::null: break;
      case value_t::boolean:
        v.type = Json::Type::boolean;
        v.boolean = j.get<bool>();
        break;
      case value_t::number_integer:
      case value_t::number_unsigned:
      case value_t::number_float:
        v.type = Json::Type::number;
        v.text = j.dump();  // as written, for integer() to insist on an integer
        break;
      case value_t::string:
        v.type = Json::Type::string;
        v.text = j.get<std::string>();
        break;
      case value_t::array:
        v.type = Json::Type::array;
        for (const auto& item : j) v.items.push_back(convert(item));
        break;
      case value_t::object:
        v.type = Json::Type::object;
        for (const auto& [key, item] : j.items()) {
          v.keys.push_back(key);
          v.items.push_back(convert(item));
        }
        break;
      default: throw std::runtime_error("not a JSON value");
    }
    return v;
  }
};

// ---- timelines ---------------------------------------------------------------------------

recourse::TimePoint at(recourse::Duration since_epoch) { return recourse::TimePoint{} + since_epoch; }

recourse::CallInfo call_of(const Timeline& t) { return {t.key, t.policy_id, t.policy_source, t.start}; }

// A call that failed once (2ms), slept 10ms and succeeded (1.5ms): 0 … 13.5ms.
Timeline retried_call(std::string key = "shop.Checkout") {
  Timeline t;
  t.key = std::move(key);
  t.policy_id = "shop.*";
  t.policy_source = recourse::PolicySource::static_config;
  t.start = at(0ms);
  t.end = at(13500us);
  t.final_reason = "success";
  t.attempts.push_back(AttemptRecord{.index = 0, .start = at(0ms), .end = at(2ms), .kind = OutcomeKind::retryable,
                                     .reason = "http_503"});
  t.attempts.push_back(AttemptRecord{.index = 1, .retry_index = 1, .start = at(12ms), .end = at(13500us),
                                     .kind = OutcomeKind::success, .reason = "success", .backoff_before = 10ms,
                                     .budget_reason = "allowed"});
  return t;
}

// Feeds a finished call to an observer the way the executor does.
void finish(recourse::Observer& observer, const Timeline& t, bool succeeded) {
  const recourse::CallInfo call = call_of(t);
  observer.on_start(call);
  for (const AttemptRecord& a : t.attempts) observer.on_attempt(call, a);
  if (succeeded) observer.on_success(call, t);
  else observer.on_failure(call, t);
}

// A real executor in virtual time: fails twice (each attempt taking 2ms), then returns 7.
// With the built-in policy (3 attempts, exponential 10ms, no jitter) the attempts run at
// 0–2ms, 12–14ms and 34–36ms.
void run_flaky_call(const std::shared_ptr<recourse::Observer>& observer, std::string_view key) {
  auto clock = std::make_shared<recourse::VirtualClock>();
  recourse::ExecutorOptions options;
  options.clock = clock;
  options.random = std::make_shared<recourse::FixedRandom>(0.5);
  options.observers.push_back(observer);
  recourse::Executor executor(std::move(options));
  int calls = 0;
  const int value = executor.run(key, [&](const recourse::Attempt&) {
    clock->advance(2ms);
    if (calls++ < 2) throw std::runtime_error("down");
    return 7;
  });
  BOOST_TEST(value == 7);
  BOOST_TEST(executor.observer_errors() == 0u);
}

// ---- trace-file checks -------------------------------------------------------------------

struct TraceFile {
  Json events;  // the array
  std::vector<const Json*> of_phase(std::string_view ph) const {
    std::vector<const Json*> out;
    for (const Json& e : events.items)
      if (e["ph"].str() == ph) out.push_back(&e);
    return out;
  }
  const Json& named(std::string_view name) const {
    for (const Json& e : events.items)
      if (e["ph"].str() == "X" && e["name"].str() == name) return e;
    throw std::out_of_range("no complete event \"" + std::string(name) + "\"");
  }
  std::string thread_name(std::int64_t tid) const {
    for (const Json* e : of_phase("M"))
      if ((*e)["name"].str() == "thread_name" && (*e)["tid"].integer() == tid) return (*e)["args"]["name"].str();
    return "<none>";
  }
};

TraceFile parse_trace(const std::string& path) {
  const std::string text = read(path);
  BOOST_REQUIRE(text.starts_with("["));
  TraceFile trace;
  BOOST_REQUIRE_NO_THROW(trace.events = JsonParser::parse(text));
  BOOST_REQUIRE((trace.events.type == Json::Type::array));
  for (const Json& e : trace.events.items) {
    BOOST_REQUIRE(e.has("ph"));
    BOOST_TEST(e["pid"].integer() == 1);
    if (e["ph"].str() == "X") {
      BOOST_TEST(e.has("ts"));
      BOOST_TEST(e.has("dur"));
      BOOST_TEST(e.has("tid"));
    }
  }
  return trace;
}

// Complete events on one tid must nest (each inside the last open one, or after it ends), or
// the viewers draw them wrongly. Times compared in nanoseconds to dodge float rounding.
void expect_properly_nested(const TraceFile& trace) {
  std::map<std::int64_t, std::vector<std::pair<std::int64_t, std::int64_t>>> by_tid;
  const auto ns = [](const Json& micros) { return std::llround(micros.number() * 1000); };
  for (const Json* e : trace.of_phase("X"))
    by_tid[(*e)["tid"].integer()].emplace_back(ns((*e)["ts"]), ns((*e)["ts"]) + ns((*e)["dur"]));
  for (auto& [tid, spans] : by_tid) {
    // By start; of two starting together, the longer (the enclosing one) first.
    std::ranges::sort(spans, {}, [](auto span) { return std::pair(span.first, -span.second); });
    std::vector<std::int64_t> open_ends;
    for (const auto& [start, end] : spans) {
      while (!open_ends.empty() && open_ends.back() <= start) open_ends.pop_back();
      BOOST_TEST((open_ends.empty() || end <= open_ends.back()), "overlapping events on tid " << tid);
      open_ends.push_back(end);
    }
  }
}

}  // namespace

// =========================================================================================
BOOST_AUTO_TEST_SUITE(log_observer)

BOOST_AUTO_TEST_CASE(writes_one_line_per_attempt_with_key_policy_index_outcome_durations_and_budget) {
  RecordingLogger logger;
  const auto observer = make_observer("log", Table(), &logger);
  finish(*observer, retried_call(), true);
  const auto lines = logger.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 3u);
  BOOST_TEST(lines[0].second ==
             "attempt key=shop.Checkout policy=shop.* attempt=0 retry=0 hedge=0 kind=retryable reason=http_503 "
             "duration=2.000ms backoff=0.000ms");
  BOOST_TEST(lines[1].second ==
             "attempt key=shop.Checkout policy=shop.* attempt=1 retry=1 hedge=0 kind=success reason=success "
             "duration=1.500ms backoff=10.000ms budget=allowed");
}

BOOST_AUTO_TEST_CASE(writes_one_line_per_call_with_the_final_reason_attempt_count_and_duration) {
  RecordingLogger logger;
  const auto observer = make_observer("log", Table(), &logger);
  Timeline t = retried_call();
  t.final_reason = "max_attempts";
  t.modes_used = {"policy:fallback", "budget:deny"};
  t.cardinality_limited = true;
  finish(*observer, t, false);
  BOOST_TEST(logger.lines().back().second ==
             "call key=shop.Checkout policy=shop.* source=static outcome=failure reason=max_attempts attempts=2 "
             "duration=13.500ms modes=policy:fallback,budget:deny cardinality_limited=true");
}

BOOST_AUTO_TEST_CASE(logs_at_the_configured_level_and_failed_calls_at_warn_or_higher) {
  using recourse::LogLevel;
  RecordingLogger debug_logger;
  const auto debug = make_observer("log", Table().add("level", "debug"), &debug_logger);
  finish(*debug, retried_call(), true);
  finish(*debug, retried_call(), false);
  const auto d = debug_logger.lines();
  BOOST_REQUIRE_EQUAL(d.size(), 6u);
  BOOST_TEST((d[0].first == LogLevel::debug && d[1].first == LogLevel::debug));
  BOOST_TEST((d[2].first == LogLevel::debug));  // a successful call
  BOOST_TEST((d[5].first == LogLevel::warn));   // a failed one stands out

  RecordingLogger default_logger;
  finish(*make_observer("log", Table(), &default_logger), retried_call(), true);
  BOOST_TEST((default_logger.lines()[0].first == LogLevel::info));

  RecordingLogger error_logger;
  const auto error = make_observer("log", Table().add("level", "error"), &error_logger);
  finish(*error, retried_call(), false);
  for (const auto& [level, line] : error_logger.lines()) BOOST_TEST((level == LogLevel::error), line);
}

BOOST_AUTO_TEST_CASE(quotes_values_with_spaces_quotes_or_newlines_so_each_event_stays_on_one_line) {
  RecordingLogger logger;
  const auto observer = make_observer("log", Table(), &logger);
  finish(*observer, retried_call("we ird\"key=\n"), true);
  for (const auto& [level, line] : logger.lines()) {
    BOOST_TEST(!contains(line, "\n"), line);
    BOOST_TEST(contains(line, R"( key="we ird\"key=\n" )"), line);
  }
}

BOOST_AUTO_TEST_CASE(reports_a_key_past_the_cardinality_limit_at_warn) {
  RecordingLogger logger;
  make_observer("log", Table(), &logger)->on_cardinality_exceeded("users.u12345");
  BOOST_REQUIRE_EQUAL(logger.lines().size(), 1u);
  BOOST_TEST((logger.lines()[0].first == recourse::LogLevel::warn));
  BOOST_TEST(logger.lines()[0].second == "cardinality_exceeded key=users.u12345");
}

BOOST_AUTO_TEST_CASE(accepts_its_plugin_field_and_refuses_unknown_fields_and_levels_all_at_once) {
  RecordingLogger logger;
  make_observer("log", Table().add("plugin", "log").add("level", "warn"), &logger);
  const auto errors =
      refusal("log", Table().add("plugin", "log").add("level", "verbose").add("levle", "info"), &logger);
  BOOST_REQUIRE_EQUAL(errors.size(), 2u);
  BOOST_TEST((field_paths(errors) == std::set<std::string>{"test.level", "test.levle"}));
  const std::string all = recourse::to_string(errors[0]) + "\n" + recourse::to_string(errors[1]);
  BOOST_TEST(contains(all, "unknown field \"levle\""), all);
  BOOST_TEST(contains(all, "unknown log level \"verbose\""), all);
}

BOOST_AUTO_TEST_CASE(refuses_a_level_that_is_not_a_string) {
  RecordingLogger logger;
  const auto errors = refusal("log", Table().add("level", 3), &logger);
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0].field_path == "test.level");
  BOOST_TEST(contains(errors[0].message, "expected a string"), errors[0].message);
}

BOOST_AUTO_TEST_CASE(refuses_to_start_without_a_host_logger) {
  const auto errors = refusal("log", Table());
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(contains(errors[0].message, "no logger"), errors[0].message);
}

BOOST_AUTO_TEST_CASE(an_executor_call_that_fails_twice_then_succeeds_logs_three_attempts_and_the_call) {
  RecordingLogger logger;
  run_flaky_call(make_observer("log", Table(), &logger), "shop.Checkout");
  const auto lines = logger.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 4u);
  BOOST_TEST(contains(lines[0].second, "attempt=0 retry=0 hedge=0 kind=retryable reason=retryable_error "
                                       "duration=2.000ms backoff=0.000ms"), lines[0].second);
  BOOST_TEST(contains(lines[1].second, "attempt=1 retry=1 hedge=0 kind=retryable reason=retryable_error "
                                       "duration=2.000ms backoff=10.000ms budget=no_budget"), lines[1].second);
  BOOST_TEST(contains(lines[2].second, "attempt=2 retry=2 hedge=0 kind=success reason=success "
                                       "duration=2.000ms backoff=20.000ms budget=no_budget"), lines[2].second);
  BOOST_TEST(contains(lines[3].second, "call key=shop.Checkout "), lines[3].second);
  BOOST_TEST(contains(lines[3].second, " outcome=success reason=success attempts=3 duration=36.000ms"),
             lines[3].second);
}

BOOST_AUTO_TEST_SUITE_END()

// =========================================================================================
BOOST_AUTO_TEST_SUITE(jsonl_observer)

BOOST_AUTO_TEST_CASE(writes_each_call_as_one_json_line_with_every_timeline_field) {
  ScratchDir dir;
  const auto observer = make_observer("jsonl", Table().add("path", dir.file("calls.jsonl").c_str()));
  Timeline t = retried_call();
  t.final_reason = "max_attempts";
  t.modes_used = {"classifier:fallback"};
  t.cardinality_limited = true;
  t.normalization.push_back({"retry.max_attempts", "25", "10"});
  t.attempts[0].deadline_overrun = true;
  t.attempts[1].classifier_fallback = true;
  finish(*observer, t, false);

  const auto lines = lines_of(read(dir.file("calls.jsonl")));
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  const Json call = JsonParser::parse(lines[0]);
  BOOST_TEST(call["key"].str() == "shop.Checkout");
  BOOST_TEST(call["policy_id"].str() == "shop.*");
  BOOST_TEST(call["policy_source"].str() == "static");
  BOOST_TEST(call["start_ns"].integer() == 0);
  BOOST_TEST(call["end_ns"].integer() == 13'500'000);
  BOOST_TEST(call["duration_ns"].integer() == 13'500'000);
  BOOST_TEST(!call["succeeded"].boolean);
  BOOST_TEST(call["final_reason"].str() == "max_attempts");
  BOOST_REQUIRE_EQUAL(call["modes_used"].items.size(), 1u);
  BOOST_TEST(call["modes_used"][0].str() == "classifier:fallback");
  BOOST_TEST(call["cardinality_limited"].boolean);
  BOOST_REQUIRE_EQUAL(call["normalization"].items.size(), 1u);
  BOOST_TEST(call["normalization"][0]["path"].str() == "retry.max_attempts");
  BOOST_TEST(call["normalization"][0]["before"].str() == "25");
  BOOST_TEST(call["normalization"][0]["after"].str() == "10");

  BOOST_REQUIRE_EQUAL(call["attempts"].items.size(), 2u);
  const Json& first = call["attempts"][0];
  BOOST_TEST(first["index"].integer() == 0);
  BOOST_TEST(first["retry_index"].integer() == 0);
  BOOST_TEST(!first["is_hedge"].boolean);
  BOOST_TEST(first["hedge_index"].integer() == 0);
  BOOST_TEST(first["start_ns"].integer() == 0);
  BOOST_TEST(first["end_ns"].integer() == 2'000'000);
  BOOST_TEST(first["kind"].str() == "retryable");
  BOOST_TEST(first["reason"].str() == "http_503");
  BOOST_TEST(first["backoff_before_ns"].integer() == 0);
  BOOST_TEST(first["budget_reason"].str() == "");
  BOOST_TEST(first["deadline_overrun"].boolean);
  BOOST_TEST(!first["classifier_fallback"].boolean);
  const Json& second = call["attempts"][1];
  BOOST_TEST(second["index"].integer() == 1);
  BOOST_TEST(second["retry_index"].integer() == 1);
  BOOST_TEST(second["start_ns"].integer() == 12'000'000);
  BOOST_TEST(second["duration_ns"].integer() == 1'500'000);
  BOOST_TEST(second["kind"].str() == "success");
  BOOST_TEST(second["backoff_before_ns"].integer() == 10'000'000);
  BOOST_TEST(second["budget_reason"].str() == "allowed");
  BOOST_TEST(!second["deadline_overrun"].boolean);
  BOOST_TEST(second["classifier_fallback"].boolean);
}

BOOST_AUTO_TEST_CASE(times_are_integer_nanoseconds_of_the_clocks_time_since_epoch) {
  ScratchDir dir;
  const auto observer = make_observer("jsonl", Table().add("path", dir.file("calls.jsonl").c_str()));
  Timeline t = retried_call();
  const auto shift = std::chrono::hours(24 * 365) + 7ns;  // large and odd: no float on the way
  t.start += shift, t.end += shift;
  for (auto& a : t.attempts) a.start += shift, a.end += shift;
  finish(*observer, t, true);
  const Json call = JsonParser::parse(lines_of(read(dir.file("calls.jsonl")))[0]);
  const std::int64_t base = std::chrono::nanoseconds(shift).count();
  BOOST_TEST(call["start_ns"].integer() == base);
  BOOST_TEST(call["end_ns"].integer() == base + 13'500'000);
  BOOST_TEST(call["attempts"][1]["start_ns"].integer() == base + 12'000'000);
  BOOST_TEST(call["succeeded"].boolean);
}

BOOST_AUTO_TEST_CASE(escapes_quotes_backslashes_newlines_and_control_characters_in_keys) {
  ScratchDir dir;
  const auto observer = make_observer("jsonl", Table().add("path", dir.file("calls.jsonl").c_str()));
  const std::string key = std::string("a\"b\\c\nd\te\rf\x01g\x1fh\x7f") + "\xc3\xa9" + "\xff" + "z";
  finish(*observer, retried_call(key), true);
  const std::string text = read(dir.file("calls.jsonl"));
  BOOST_TEST(std::ranges::count(text, '\n') == 1);  // one record, one line
  BOOST_TEST(contains(text, R"("key":"a\"b\\c\nd\te\rf\u0001g\u001fh)"), text);
  const Json call = JsonParser::parse(lines_of(text)[0]);
  // Valid UTF-8 (é) passes through; a stray byte becomes U+FFFD rather than invalid JSON.
  BOOST_TEST(call["key"].str() == std::string(key.data(), key.size() - 2) + "\xef\xbf\xbd" + "z");
}

BOOST_AUTO_TEST_CASE(appends_to_an_existing_file_and_counts_its_size_towards_rotation) {
  ScratchDir dir;
  const std::string path = dir.file("calls.jsonl");
  std::ofstream(path) << "{\"earlier\":true}\n";
  make_observer("jsonl", Table().add("path", path.c_str()));
  finish(*make_observer("jsonl", Table().add("path", path.c_str())), retried_call(), true);
  const auto lines = lines_of(read(path));
  BOOST_REQUIRE_EQUAL(lines.size(), 2u);
  BOOST_TEST(lines[0] == "{\"earlier\":true}");

  // A file already at max_bytes is rotated before the first new line.
  const auto size = static_cast<long long>(fs::file_size(path));
  finish(*make_observer("jsonl", Table().add("path", path.c_str()).add("max_bytes", size)), retried_call(), true);
  BOOST_TEST(lines_of(read(path + ".1")).size() == 2u);
  BOOST_TEST(lines_of(read(path)).size() == 1u);
}

BOOST_AUTO_TEST_CASE(rotates_when_a_line_would_exceed_max_bytes_keeping_max_files) {
  ScratchDir dir;
  const std::string path = dir.file("calls.jsonl");
  // Every record has the same length (keys c.1 … c.7), so sizes are exact multiples.
  const auto probe = make_observer("jsonl", Table().add("path", dir.file("probe.jsonl").c_str()));
  finish(*probe, retried_call("c.0"), true);
  const auto line = static_cast<long long>(fs::file_size(dir.file("probe.jsonl")));

  const auto observer =
      make_observer("jsonl", Table().add("path", path.c_str()).add("max_bytes", 2 * line).add("max_files", 2));
  const auto keys_in = [&](const std::string& file) {
    std::vector<std::string> keys;
    for (const auto& l : lines_of(read(file))) keys.push_back(JsonParser::parse(l)["key"].str());
    return keys;
  };
  using Keys = std::vector<std::string>;
  finish(*observer, retried_call("c.1"), true);
  finish(*observer, retried_call("c.2"), true);
  BOOST_TEST(fs::file_size(path) == static_cast<std::uintmax_t>(2 * line));  // exactly at the limit: no rotation
  BOOST_TEST(!fs::exists(path + ".1"));
  finish(*observer, retried_call("c.3"), true);
  BOOST_TEST(keys_in(path + ".1") == (Keys{"c.1", "c.2"}), boost::test_tools::per_element());
  BOOST_TEST(keys_in(path) == (Keys{"c.3"}), boost::test_tools::per_element());
  for (const char* key : {"c.4", "c.5", "c.6", "c.7"}) finish(*observer, retried_call(key), true);
  // c.1 and c.2 went to .3, which max_files = 2 does not keep.
  BOOST_TEST(keys_in(path + ".2") == (Keys{"c.3", "c.4"}), boost::test_tools::per_element());
  BOOST_TEST(keys_in(path + ".1") == (Keys{"c.5", "c.6"}), boost::test_tools::per_element());
  BOOST_TEST(keys_in(path) == (Keys{"c.7"}), boost::test_tools::per_element());
  BOOST_TEST(!fs::exists(path + ".3"));
}

BOOST_AUTO_TEST_CASE(max_files_zero_starts_the_file_over_and_a_long_line_is_never_split) {
  ScratchDir dir;
  const std::string path = dir.file("calls.jsonl");
  const auto observer =
      make_observer("jsonl", Table().add("path", path.c_str()).add("max_bytes", 10).add("max_files", 0));
  finish(*observer, retried_call("first.call"), true);
  BOOST_TEST(lines_of(read(path)).size() == 1u);  // longer than max_bytes, but whole
  finish(*observer, retried_call("second.call"), true);
  const auto lines = lines_of(read(path));
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  BOOST_TEST(JsonParser::parse(lines[0])["key"].str() == "second.call");
  BOOST_TEST(!fs::exists(path + ".1"));
}

BOOST_AUTO_TEST_CASE(refuses_a_table_without_path) {
  const auto errors = refusal("jsonl", Table().add("plugin", "jsonl"));
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(contains(errors[0].message, "path is required"), errors[0].message);
}

BOOST_AUTO_TEST_CASE(reports_every_unknown_field_and_wrong_type_at_once_naming_each_field) {
  const auto errors = refusal("jsonl", Table()
                                           .add("plugin", "jsonl")
                                           .add("path", 5)
                                           .add("max_bytes", "big")
                                           .add("max_files", -1)
                                           .add("max_file", 3));
  const std::set<std::string> named{"test.path", "test.max_bytes", "test.max_files", "test.max_file"};
  BOOST_TEST((field_paths(errors) == named));
  BOOST_REQUIRE_EQUAL(errors.size(), 4u);
  for (const auto& e : errors) {
    if (e.field_path == "test.path") BOOST_TEST(contains(e.message, "expected a string"), e.message);
    if (e.field_path == "test.max_bytes") BOOST_TEST(contains(e.message, "expected an integer"), e.message);
    if (e.field_path == "test.max_files") BOOST_TEST(contains(e.message, "out of range"), e.message);
    if (e.field_path == "test.max_file") BOOST_TEST(contains(e.message, "unknown field"), e.message);
  }
  const auto zero = refusal("jsonl", Table().add("path", "/tmp/never-written.jsonl").add("max_bytes", 0));
  BOOST_REQUIRE_EQUAL(zero.size(), 1u);
  BOOST_TEST(zero[0].field_path == "test.max_bytes");
}

BOOST_AUTO_TEST_CASE(a_file_that_cannot_be_opened_is_a_config_error_naming_the_path_and_the_os_error) {
  ScratchDir dir;
  const std::string path = dir.file("no-such-dir/calls.jsonl");
  const auto errors = refusal("jsonl", Table().add("path", path.c_str()));
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0].field_path == "test.path");
  BOOST_TEST(contains(errors[0].message, path), errors[0].message);
  BOOST_TEST(contains(errors[0].message, "No such file or directory"), errors[0].message);
}

BOOST_AUTO_TEST_CASE(calls_finishing_on_many_threads_give_whole_lines_across_rotations) {
  ScratchDir dir;
  const std::string path = dir.file("calls.jsonl");
  constexpr int threads = 6, calls = 150;
  const auto observer = make_observer(
      "jsonl", Table().add("path", path.c_str()).add("max_bytes", 32 * 1024).add("max_files", 200));
  std::vector<std::jthread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < calls; ++i)
        finish(*observer, retried_call("t" + std::to_string(t) + ".c" + std::to_string(i)), i % 2 == 0);
    });
  workers.clear();  // joins

  std::multiset<std::string> keys;
  int files = 0;
  for (std::string file = path; fs::exists(file); file = path + "." + std::to_string(++files)) {
    BOOST_TEST(fs::file_size(file) <= 32u * 1024u, file);
    for (const auto& l : lines_of(read(file))) BOOST_REQUIRE_NO_THROW(keys.insert(JsonParser::parse(l)["key"].str()));
  }
  BOOST_TEST(files > 2);  // it did rotate while threads raced
  BOOST_TEST(keys.size() == static_cast<std::size_t>(threads * calls));
  for (int t = 0; t < threads; ++t)
    for (int i = 0; i < calls; ++i) BOOST_TEST(keys.count("t" + std::to_string(t) + ".c" + std::to_string(i)) == 1u);
}

BOOST_AUTO_TEST_CASE(an_executor_call_that_fails_twice_then_succeeds_is_one_record_with_three_attempts) {
  ScratchDir dir;
  run_flaky_call(make_observer("jsonl", Table().add("path", dir.file("calls.jsonl").c_str())), "shop.Checkout");
  const auto lines = lines_of(read(dir.file("calls.jsonl")));
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  const Json call = JsonParser::parse(lines[0]);
  BOOST_TEST(call["key"].str() == "shop.Checkout");
  BOOST_TEST(call["final_reason"].str() == "success");
  BOOST_TEST(call["succeeded"].boolean);
  BOOST_TEST(call["start_ns"].integer() == 0);
  BOOST_TEST(call["end_ns"].integer() == 36'000'000);
  BOOST_REQUIRE_EQUAL(call["attempts"].items.size(), 3u);
  const std::int64_t starts[] = {0, 12'000'000, 34'000'000}, backoffs[] = {0, 10'000'000, 20'000'000};
  for (std::size_t i = 0; i < 3; ++i) {
    const Json& a = call["attempts"][i];
    BOOST_TEST(a["index"].integer() == static_cast<std::int64_t>(i));
    BOOST_TEST(a["start_ns"].integer() == starts[i]);
    BOOST_TEST(a["duration_ns"].integer() == 2'000'000);
    BOOST_TEST(a["backoff_before_ns"].integer() == backoffs[i]);
    BOOST_TEST(a["kind"].str() == (i < 2 ? "retryable" : "success"));
    BOOST_TEST(a["budget_reason"].str() == (i == 0 ? "" : "no_budget"));
  }
}

BOOST_AUTO_TEST_SUITE_END()

// =========================================================================================
BOOST_AUTO_TEST_SUITE(trace_observer)

BOOST_AUTO_TEST_CASE(writes_each_call_at_once_and_closes_the_json_array_when_destroyed) {
  ScratchDir dir;
  const std::string path = dir.file("trace.json");
  auto observer = make_observer("trace", Table().add("plugin", "trace").add("path", path.c_str()));
  finish(*observer, retried_call(), true);
  const std::string while_running = read(path);
  BOOST_TEST(while_running.starts_with("["));
  BOOST_TEST(contains(while_running, "\"name\":\"attempt 1\""));  // flushed with the call
  BOOST_CHECK_THROW(JsonParser::parse(while_running), std::runtime_error);  // not closed yet
  observer.reset();
  const TraceFile trace = parse_trace(path);
  const Json& process = trace.events[0];
  BOOST_TEST(process["ph"].str() == "M");
  BOOST_TEST(process["name"].str() == "process_name");
  BOOST_TEST(trace.of_phase("X").size() == 3u);  // the call and its two attempts
}

BOOST_AUTO_TEST_CASE(each_call_gets_its_own_tid_named_after_its_key) {
  ScratchDir dir;
  const std::string path = dir.file("trace.json");
  auto observer = make_observer("trace", Table().add("path", path.c_str()));
  finish(*observer, retried_call("shop.Checkout"), true);
  finish(*observer, retried_call("shop.Refund"), false);
  observer.reset();
  const TraceFile trace = parse_trace(path);
  const std::int64_t checkout = trace.named("shop.Checkout")["tid"].integer();
  const std::int64_t refund = trace.named("shop.Refund")["tid"].integer();
  BOOST_TEST(checkout != refund);
  BOOST_TEST(trace.thread_name(checkout) == "shop.Checkout");
  BOOST_TEST(trace.thread_name(refund) == "shop.Refund");
  BOOST_TEST(trace.named("shop.Refund")["args"]["final_reason"].str() == "success");
  BOOST_TEST(!trace.named("shop.Refund")["args"]["succeeded"].boolean);
  std::set<std::int64_t> attempt_tids;
  for (const Json* e : trace.of_phase("X"))
    if ((*e)["cat"].str() == "attempt") attempt_tids.insert((*e)["tid"].integer());
  BOOST_TEST((attempt_tids == std::set<std::int64_t>{checkout, refund}));
  expect_properly_nested(trace);
}

BOOST_AUTO_TEST_CASE(attempts_are_complete_events_in_microseconds_with_the_backoff_as_the_gap) {
  ScratchDir dir;
  const std::string path = dir.file("trace.json");
  auto observer = make_observer("trace", Table().add("path", path.c_str()));
  Timeline t = retried_call();
  for (auto* p : {&t.start, &t.end, &t.attempts[0].start, &t.attempts[0].end, &t.attempts[1].start, &t.attempts[1].end})
    *p += 1s + 250ns;  // sub-microsecond times keep their precision
  finish(*observer, t, true);
  observer.reset();
  BOOST_TEST(contains(read(path), "\"ts\":1000000.25,"));  // the shortest text of the exact value
  const TraceFile trace = parse_trace(path);
  const Json& call = trace.named("shop.Checkout");
  const Json& first = trace.named("attempt 0");
  const Json& second = trace.named("attempt 1");
  BOOST_TEST(call["ts"].number() == 1000000.25);
  BOOST_TEST(call["dur"].number() == 13500.0);
  BOOST_TEST(first["ts"].number() == 1000000.25);
  BOOST_TEST(first["dur"].number() == 2000.0);
  BOOST_TEST(second["ts"].number() == 1012000.25);
  BOOST_TEST(second["dur"].number() == 1500.0);
  BOOST_TEST(second["ts"].number() - (first["ts"].number() + first["dur"].number()) == 10000.0);  // the backoff
  BOOST_TEST(first["args"]["reason"].str() == "http_503");
  BOOST_TEST(first["args"]["kind"].str() == "retryable");
  BOOST_TEST(first["args"]["budget"].str() == "");
  BOOST_TEST(second["args"]["budget"].str() == "allowed");
  BOOST_TEST(second["args"]["backoff_before_us"].number() == 10000.0);
  BOOST_TEST(call["args"]["policy_id"].str() == "shop.*");
  expect_properly_nested(trace);
}

BOOST_AUTO_TEST_CASE(hedges_go_on_their_own_row_of_the_call_and_overlapping_hedges_on_separate_rows) {
  ScratchDir dir;
  const std::string path = dir.file("trace.json");
  auto observer = make_observer("trace", Table().add("path", path.c_str()));
  Timeline t;
  t.key = "search.Query";
  t.start = at(0ms), t.end = at(700ms);
  t.final_reason = "success";
  t.attempts.push_back(
      {.index = 0, .start = at(0ms), .end = at(700ms), .kind = OutcomeKind::success, .reason = "success"});
  t.attempts.push_back({.index = 1, .is_hedge = true, .hedge_index = 1, .start = at(200ms), .end = at(600ms),
                        .kind = OutcomeKind::retryable, .reason = "http_503", .budget_reason = "allowed"});
  t.attempts.push_back({.index = 2, .is_hedge = true, .hedge_index = 2, .start = at(400ms), .end = at(650ms),
                        .kind = OutcomeKind::abort, .reason = "cancelled", .budget_reason = "allowed"});
  finish(*observer, t, true);
  finish(*observer, retried_call("other.Call"), true);
  observer.reset();
  const TraceFile trace = parse_trace(path);
  const std::int64_t primary = trace.named("attempt 0")["tid"].integer();
  const std::int64_t hedge1 = trace.named("attempt 1 (hedge 1)")["tid"].integer();
  const std::int64_t hedge2 = trace.named("attempt 2 (hedge 2)")["tid"].integer();
  BOOST_TEST(trace.named("search.Query")["tid"].integer() == primary);
  BOOST_TEST(hedge1 != primary);
  BOOST_TEST(hedge2 != primary);
  BOOST_TEST(hedge2 != hedge1);  // they overlap without nesting
  BOOST_TEST(trace.named("attempt 1 (hedge 1)")["cat"].str() == "hedge");
  BOOST_TEST(contains(trace.thread_name(hedge1), "search.Query"), trace.thread_name(hedge1));
  BOOST_TEST(contains(trace.thread_name(hedge2), "search.Query"), trace.thread_name(hedge2));
  const std::int64_t other = trace.named("other.Call")["tid"].integer();
  BOOST_TEST((other != primary && other != hedge1 && other != hedge2));
  expect_properly_nested(trace);
}

BOOST_AUTO_TEST_CASE(escapes_keys_in_event_names_and_thread_names) {
  ScratchDir dir;
  const std::string path = dir.file("trace.json");
  auto observer = make_observer("trace", Table().add("path", path.c_str()));
  const std::string key = "we\"ird\\\n\x02";
  finish(*observer, retried_call(key), true);
  observer.reset();
  const TraceFile trace = parse_trace(path);
  const std::int64_t tid = trace.named(key)["tid"].integer();
  BOOST_TEST(trace.thread_name(tid) == key);
}

BOOST_AUTO_TEST_CASE(refuses_a_missing_path_unknown_fields_and_wrong_types_naming_each_field) {
  const auto missing = refusal("trace", Table().add("plugin", "trace"));
  BOOST_REQUIRE_EQUAL(missing.size(), 1u);
  BOOST_TEST(contains(missing[0].message, "path is required"), missing[0].message);
  const auto errors = refusal("trace", Table().add("path", true).add("max_bytes", 10));
  BOOST_TEST((field_paths(errors) == std::set<std::string>{"test.path", "test.max_bytes"}));
}

BOOST_AUTO_TEST_CASE(a_file_that_cannot_be_opened_is_a_config_error_naming_the_path_and_the_os_error) {
  ScratchDir dir;
  const auto errors = refusal("trace", Table().add("path", dir.path.c_str()));  // a directory
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0].field_path == "test.path");
  BOOST_TEST(contains(errors[0].message, dir.path.string()), errors[0].message);
  BOOST_TEST(contains(errors[0].message, "Is a directory"), errors[0].message);
}

BOOST_AUTO_TEST_CASE(calls_finishing_on_many_threads_give_a_valid_trace_with_distinct_tids) {
  ScratchDir dir;
  const std::string path = dir.file("trace.json");
  constexpr int threads = 4, calls = 100;
  auto observer = make_observer("trace", Table().add("path", path.c_str()));
  std::vector<std::jthread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < calls; ++i) {
        Timeline call = retried_call("t" + std::to_string(t) + ".c" + std::to_string(i));
        call.attempts.push_back({.index = 2, .is_hedge = true, .hedge_index = 1, .start = at(1ms), .end = at(3ms),
                                 .kind = OutcomeKind::abort, .reason = "cancelled"});
        finish(*observer, call, true);
      }
    });
  workers.clear();  // joins
  observer.reset();
  const TraceFile trace = parse_trace(path);
  std::set<std::int64_t> tids;
  std::size_t call_events = 0;
  for (const Json* e : trace.of_phase("X")) {
    if ((*e)["cat"].str() == "call") ++call_events;
    if ((*e)["cat"].str() != "attempt") tids.insert((*e)["tid"].integer());  // call rows and hedge rows
  }
  BOOST_TEST(call_events == static_cast<std::size_t>(threads * calls));
  BOOST_TEST(tids.size() == static_cast<std::size_t>(2 * threads * calls));  // none shared between calls
  expect_properly_nested(trace);
}

BOOST_AUTO_TEST_CASE(an_executor_call_that_fails_twice_then_succeeds_shows_three_attempts_and_two_gaps) {
  ScratchDir dir;
  const std::string path = dir.file("trace.json");
  run_flaky_call(make_observer("trace", Table().add("path", path.c_str())), "shop.Checkout");
  // The executor is gone, and with it the last reference to the observer: the file is closed.
  const TraceFile trace = parse_trace(path);
  const Json& call = trace.named("shop.Checkout");
  BOOST_TEST(call["ts"].number() == 0.0);
  BOOST_TEST(call["dur"].number() == 36000.0);
  BOOST_TEST(trace.thread_name(call["tid"].integer()) == "shop.Checkout");
  const double starts[] = {0.0, 12000.0, 34000.0};
  for (int i = 0; i < 3; ++i) {
    const Json& a = trace.named("attempt " + std::to_string(i));
    BOOST_TEST(a["ts"].number() == starts[i]);
    BOOST_TEST(a["dur"].number() == 2000.0);
    BOOST_TEST(a["tid"].integer() == call["tid"].integer());
    BOOST_TEST(a["args"]["kind"].str() == (i < 2 ? "retryable" : "success"));
  }
  expect_properly_nested(trace);
}

BOOST_AUTO_TEST_SUITE_END()
