// What the tests of the standard observers (plugins/observers/*/*_test.cpp) share: a scratch
// directory for the files they write, creating an observer (or its refusal) from a table, a
// small JSON reader over nlohmann-json, a retried call's timeline fed to an observer the way the
// executor feeds it, and a real Executor's flaky call in virtual time.
#pragma once

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "plugin_harness.hpp"

namespace observer_test_helpers {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using plugin_harness::Table;
using recourse::AttemptRecord;
using recourse::ComponentCategory;
using recourse::OutcomeKind;
using recourse::Timeline;

// ---- scaffolding ------------------------------------------------------------------------

// A fresh directory, removed with everything in it at the end of the test (kept, to open the
// files in a viewer, when RECOURSE_KEEP_TEST_FILES is set).
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::random_device seed;
    path =
        fs::temp_directory_path() / ("recourse-observers-" + std::to_string(::getpid()) + "-" + std::to_string(seed()));
    fs::create_directories(path);
  }
  ~ScratchDir() {
    if (std::getenv("RECOURSE_KEEP_TEST_FILES") != nullptr) return;
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  std::string file(std::string_view name) const { return (path / name).string(); }
};

inline std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "cannot read " << path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::shared_ptr<recourse::Observer> make_observer(std::string_view plugin, const Table& table,
                                                         recourse::Logger* logger = nullptr) {
  const recourse::PluginContext services{nullptr, nullptr, logger};
  return plugin_harness::create<recourse::Observer>(ComponentCategory::observer, plugin, table, services);
}

inline std::vector<recourse::ConfigError> refusal(std::string_view plugin, const Table& table,
                                                  recourse::Logger* logger = nullptr) {
  const recourse::PluginContext services{nullptr, nullptr, logger};
  return plugin_harness::errors_creating<recourse::Observer>(ComponentCategory::observer, plugin, table, services);
}

inline std::set<std::string> field_paths(const std::vector<recourse::ConfigError>& errors) {
  std::set<std::string> paths;
  for (const auto& e : errors) paths.insert(e.field_path);
  return paths;
}

inline bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

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

inline recourse::TimePoint at(recourse::Duration since_epoch) { return recourse::TimePoint{} + since_epoch; }

inline recourse::CallInfo call_of(const Timeline& t) { return {t.key, t.policy_id, t.policy_source, t.start}; }

// A call that failed once (2ms), slept 10ms and succeeded (1.5ms): 0 … 13.5ms.
inline Timeline retried_call(std::string key = "shop.Checkout") {
  Timeline t;
  t.key = std::move(key);
  t.policy_id = "shop.*";
  t.policy_source = recourse::PolicySource::static_config;
  t.start = at(0ms);
  t.end = at(13500us);
  t.final_reason = "success";
  t.attempts.push_back(AttemptRecord{
      .index = 0, .start = at(0ms), .end = at(2ms), .kind = OutcomeKind::retryable, .reason = "http_503"});
  t.attempts.push_back(AttemptRecord{.index = 1,
                                     .retry_index = 1,
                                     .start = at(12ms),
                                     .end = at(13500us),
                                     .kind = OutcomeKind::success,
                                     .reason = "success",
                                     .backoff_before = 10ms,
                                     .budget_reason = "allowed"});
  return t;
}

// Feeds a finished call to an observer the way the executor does.
inline void finish(recourse::Observer& observer, const Timeline& t, bool succeeded) {
  const recourse::CallInfo call = call_of(t);
  observer.on_start(call);
  for (const AttemptRecord& a : t.attempts) observer.on_attempt(call, a);
  if (succeeded) observer.on_success(call, t);
  else observer.on_failure(call, t);
}

// A real executor in virtual time: fails twice (each attempt taking 2ms), then returns 7.
// With the built-in policy (3 attempts, exponential 10ms, no jitter) the attempts run at
// 0–2ms, 12–14ms and 34–36ms.
inline void run_flaky_call(const std::shared_ptr<recourse::Observer>& observer, std::string_view key) {
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

}  // namespace observer_test_helpers
