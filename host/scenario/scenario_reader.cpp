// Reading a scenario file (see scenario.cppm): the config tables through the ordinary loader,
// `jitter_random` and [[calls]] through ConfigView, with every error located.
module;
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module recourse.host.scenario;

namespace recourse::host {
namespace {

constexpr std::string_view extra_tables[]{"calls", "jitter_random"};

class CallReader {
 public:
  explicit CallReader(std::vector<ConfigError>& errors) : errors_(errors) {}

  std::optional<ScenarioCall> read(const ConfigNode& node) {
    if (node.kind != ConfigNode::Kind::table) return fail(node, "each [[calls]] entry must be a table"), std::nullopt;
    const ConfigView view(node);
    static constexpr std::string_view known[]{"key", "at", "cancel_after", "idempotent", "script", "expect"};
    for (ConfigError& e : view.unknown_fields(known)) errors_.push_back(std::move(e));
    ScenarioCall call;
    call.where = node.where;
    if (auto key = get(view.string("key")); key && *key) call.key = **key;
    else if (key) fail(node, "a call needs a key");
    if (auto at = get(view.duration("at")); at) call.at = *at;
    if (auto cancel = get(view.duration("cancel_after")); cancel) call.cancel_after = *cancel;
    if (auto idempotent = get(view.boolean("idempotent")); idempotent && *idempotent) call.idempotent = **idempotent;
    read_script(view, call);
    if (const ConfigNode* expect = view.find("expect")) read_expect(*expect, call.expect);
    return call;
  }

 private:
  template <class T>
  std::optional<T> get(ConfigResult<T> result) {
    if (!result) {
      errors_.push_back(std::move(result.error()));
      return std::nullopt;
    }
    return std::move(*result);
  }

  void fail(const ConfigNode& node, std::string message) {
    errors_.push_back(ConfigError{node.where, node.path, std::move(message)});
  }

  static std::string scalar_text(const ConfigNode& node) {
    switch (node.kind) {
      case ConfigNode::Kind::boolean: return node.boolean ? "true" : "false";
      case ConfigNode::Kind::integer: return std::to_string(node.integer);
      case ConfigNode::Kind::number: return std::to_string(node.number);
      case ConfigNode::Kind::string: return node.string;
      default: return "";
    }
  }

  void read_script(const ConfigView& call, ScenarioCall& out) {
    const ConfigNode* script = call.find("script");
    if (script == nullptr || script->kind != ConfigNode::Kind::array || script->items.empty()) {
      errors_.push_back(call.error("script", "a call needs a non-empty script array"));
      return;
    }
    for (const ConfigNode& item : script->items) {
      if (item.kind != ConfigNode::Kind::table) {
        fail(item, "each script step must be an inline table such as { ok = 1 }");
        continue;
      }
      if (auto step = read_step(item)) out.script.push_back(std::move(*step));
    }
  }

  std::optional<ScriptStep> read_step(const ConfigNode& node) {
    const ConfigView view(node);
    static constexpr std::string_view known[]{"ok", "fail", "http", "method", "retry_after", "grpc",
                                              "pushback", "throw", "await_cancel", "take"};
    for (ConfigError& e : view.unknown_fields(known)) errors_.push_back(std::move(e));
    ScriptStep step;
    if (auto take = get(view.duration("take")); take && *take) step.take = **take;
    int kinds = 0;
    if (const ConfigNode* ok = view.find("ok")) {
      ++kinds;
      step.kind = ScriptStep::Kind::ok;
      step.value = scalar_text(*ok);
    }
    if (auto fail_kind = get(view.string("fail")); fail_kind && *fail_kind) {
      ++kinds;
      step.kind = ScriptStep::Kind::fail;
      step.value = **fail_kind;
      if (step.value != "error" && step.value != "timeout" && step.value != "cancelled")
        errors_.push_back(view.error("fail", "unknown failure \"" + step.value + "\"; known: error, timeout, cancelled"));
    }
    if (auto http = get(view.integer("http", 0, 599)); http && *http) {
      ++kinds;
      step.kind = ScriptStep::Kind::http;
      step.http_status = static_cast<int>(**http);
      if (auto method = get(view.string("method")); method && *method) step.http_method = **method;
      if (auto after = get(view.duration("retry_after")); after && *after) step.retry_after = **after;
    }
    if (auto grpc = get(view.string("grpc")); grpc && *grpc) {
      ++kinds;
      step.kind = ScriptStep::Kind::grpc;
      if (auto code = grpc_code_from_name(**grpc)) step.grpc_code = *code;
      else errors_.push_back(view.error("grpc", "unknown gRPC code \"" + **grpc + "\"; use the upper-case name, e.g. UNAVAILABLE"));
      if (auto pushback = get(view.duration("pushback")); pushback && *pushback) step.retry_after = **pushback;
    }
    if (auto message = get(view.string("throw")); message && *message) {
      ++kinds;
      step.kind = ScriptStep::Kind::throw_;
      step.value = **message;
    }
    if (auto wait = get(view.boolean("await_cancel")); wait && *wait && **wait) {
      ++kinds;
      step.kind = ScriptStep::Kind::await_cancel;
    }
    if (kinds != 1) {
      fail(node, "a script step needs exactly one of ok, fail, http, grpc, throw, await_cancel");
      return std::nullopt;
    }
    return step;
  }

  void read_expect(const ConfigNode& node, CallExpectation& out) {
    if (node.kind != ConfigNode::Kind::table) return fail(node, "expect must be a table");
    const ConfigView view(node);
    static constexpr std::string_view known[]{"outcome", "reason",   "value",    "invocations",
                                              "end",     "sleeps",   "attempts", "events"};
    for (ConfigError& e : view.unknown_fields(known)) errors_.push_back(std::move(e));
    if (auto outcome = get(view.string("outcome")); outcome && *outcome) {
      out.outcome = **outcome;
      if (out.outcome != "success" && out.outcome != "failure")
        errors_.push_back(view.error("outcome", "expected success or failure"));
    }
    if (auto reason = get(view.string("reason")); reason && *reason) out.reason = **reason;
    if (const ConfigNode* value = view.find("value")) out.value = scalar_text(*value);
    if (auto n = get(view.integer("invocations", 0, 1000)); n && *n) out.invocations = static_cast<int>(**n);
    if (auto end = get(view.duration("end")); end && *end) out.end = **end;
    if (const ConfigNode* sleeps = view.find("sleeps")) out.sleeps = durations(*sleeps);
    if (const ConfigNode* events = view.find("events")) out.events = strings(*events);
    if (const ConfigNode* attempts = view.find("attempts")) {
      out.attempts.emplace();
      if (attempts->kind != ConfigNode::Kind::array) return fail(*attempts, "attempts must be an array of tables");
      for (const ConfigNode& item : attempts->items) out.attempts->push_back(read_attempt(item));
    }
  }

  AttemptExpectation read_attempt(const ConfigNode& node) {
    AttemptExpectation a;
    if (node.kind != ConfigNode::Kind::table) return fail(node, "each attempt expectation must be a table"), a;
    const ConfigView view(node);
    static constexpr std::string_view known[]{"reason", "kind", "budget", "backoff", "start", "end", "hedge"};
    for (ConfigError& e : view.unknown_fields(known)) errors_.push_back(std::move(e));
    if (auto v = get(view.string("reason")); v && *v) a.reason = **v;
    if (auto v = get(view.string("kind")); v && *v) a.kind = **v;
    if (auto v = get(view.string("budget")); v && *v) a.budget = **v;
    if (auto v = get(view.duration("backoff")); v && *v) a.backoff = **v;
    if (auto v = get(view.duration("start")); v && *v) a.start = **v;
    if (auto v = get(view.duration("end")); v && *v) a.end = **v;
    if (auto v = get(view.boolean("hedge")); v && *v) a.hedge = **v;
    return a;
  }

  std::vector<Duration> durations(const ConfigNode& node) {
    std::vector<Duration> out;
    if (node.kind != ConfigNode::Kind::array) return fail(node, "expected an array of durations"), out;
    for (const ConfigNode& item : node.items) {
      auto d = item.kind == ConfigNode::Kind::string ? parse_duration(item.string)
                                                      : std::expected<Duration, std::string>(std::unexpected("expected a duration string"));
      if (d) out.push_back(*d);
      else fail(item, d.error());
    }
    return out;
  }

  std::vector<std::string> strings(const ConfigNode& node) {
    std::vector<std::string> out;
    if (node.kind != ConfigNode::Kind::array) return fail(node, "expected an array of strings"), out;
    for (const ConfigNode& item : node.items) {
      if (item.kind == ConfigNode::Kind::string) out.push_back(item.string);
      else fail(item, "expected a string");
    }
    return out;
  }

  std::vector<ConfigError>& errors_;
};

}  // namespace

std::expected<Scenario, ConfigErrors> load_scenario(const std::filesystem::path& file) {
  auto config = load_config(file, extra_tables);
  if (!config) return std::unexpected(std::move(config.error()));
  Scenario scenario;
  scenario.file = file;
  std::vector<ConfigError> errors;
  CallReader reader(errors);
  for (const ConfigField& field : config->extra) {
    if (field.name == "jitter_random") {
      const ConfigNode& n = field.value;
      const double u = n.kind == ConfigNode::Kind::integer ? static_cast<double>(n.integer) : n.number;
      if ((n.kind != ConfigNode::Kind::number && n.kind != ConfigNode::Kind::integer) || !(u >= 0 && u < 1))  // NaN fails both
        errors.push_back(ConfigError{n.where, n.path, "expected a number in [0, 1)"});
      else scenario.jitter_random = u;
    } else if (field.value.kind != ConfigNode::Kind::array) {
      errors.push_back(ConfigError{field.value.where, field.value.path, "calls must be an array of tables ([[calls]])"});
    } else {
      for (const ConfigNode& item : field.value.items)
        if (auto call = reader.read(item)) scenario.calls.push_back(std::move(*call));
    }
  }
  if (scenario.calls.empty() && errors.empty())
    errors.push_back(ConfigError{SourceLocation{file.string(), 0, 0}, "calls", "a scenario needs at least one [[calls]]"});
  if (!errors.empty()) return std::unexpected(ConfigErrors{std::move(errors)});
  scenario.config = std::move(*config);
  return scenario;
}

}  // namespace recourse::host
