// recourse.host.scenario — policy tests in TOML, run in virtual time (`recourse test`).
//
// A scenario file holds ordinary config tables ([defaults], [policies."…"], [budgets.…],
// [executor]), optionally `jitter_random` to pin the random source, and [[calls]]: a key, a
// script of what successive invocations of the operation do, and [calls.expect] with what the
// call must come to. Only what an expectation gives is checked. docs/recourse-test.md
// describes the format.
module;
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

export module recourse.host.scenario;

export import recourse.core;
export import recourse.host.config;

export namespace recourse::host {

// What one invocation of the scripted operation does; the last step repeats.
struct ScriptStep {
  enum class Kind { ok, fail, http, grpc, throw_, await_cancel };
  Kind kind = Kind::ok;
  std::string value;    // ok: the value (as text); fail: error|timeout|cancelled; throw: message
  int http_status = 0;  // http
  std::string http_method;
  int grpc_code = 0;                     // grpc
  std::optional<Duration> retry_after;   // http retry_after, grpc pushback
  Duration take{};                       // virtual time the invocation takes
};

struct AttemptExpectation {
  std::optional<std::string> reason, kind, budget;
  std::optional<Duration> backoff, start, end;
  std::optional<bool> hedge;
};

struct CallExpectation {
  std::optional<std::string> outcome;  // success | failure
  std::optional<std::string> reason;
  std::optional<std::string> value;
  std::optional<int> invocations;
  std::optional<Duration> end;
  std::optional<std::vector<Duration>> sleeps;
  std::optional<std::vector<AttemptExpectation>> attempts;
  std::optional<std::vector<std::string>> events;
};

struct ScenarioCall {
  std::string key;
  std::optional<Duration> at;            // virtual start; default: when the previous call ended
  std::optional<Duration> cancel_after;  // the caller cancels this long after the start
  bool idempotent = false;
  std::vector<ScriptStep> script;
  CallExpectation expect;
  SourceLocation where;
};

struct Scenario {
  std::filesystem::path file;
  Config config;
  std::optional<double> jitter_random;
  std::vector<ScenarioCall> calls;
};

std::expected<Scenario, ConfigErrors> load_scenario(const std::filesystem::path& file);

struct CallReport {
  std::size_t index = 0;  // 1-based
  std::string key;
  SourceLocation where;
  std::vector<std::string> mismatches;  // empty: passed
  bool passed() const { return mismatches.empty(); }
};

// Runs every call of the scenario through one executor (state carries across calls) on a
// virtual clock. A config problem found only now (an unknown budget plugin) is an error.
std::expected<std::vector<CallReport>, ConfigErrors> run_scenario(const Scenario& scenario);

}  // namespace recourse::host
