// `recourse diff OLD NEW`: what reloading a service running OLD with NEW would change, for
// review before rollout.
//
// For every key either config configures or reaches by a wildcard (exact keys, namespace
// wildcards, any other key): each effective field whose value changes, old -> new, with the
// file:line:col of the new value; components added, removed or replaced; the state a reload
// would reset (breakers whose kind or window type changes, budgets whose plugin changes); and
// the worst case of one call before and after. Both files are checked as `validate` checks them.
// Exit codes: 0 nothing changes, 1 something does, 2 usage or an error in either file — so it
// works as a CI step on a policy repository.
#include <fmt/format.h>

#include <cstdio>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "arguments.hpp"
#include "commands.hpp"
#include "json_output.hpp"
#include "terminal_text.hpp"

import recourse.host.analysis;
import recourse.host.config_check;

namespace recourse::cli {
namespace {

constexpr std::string_view help = R"(usage: recourse diff OLD NEW [--format text|json]

What reloading a service that runs OLD with NEW would change: for every key either file
configures or reaches by a wildcard, each effective field that changes (old -> new, with the
line of the new value); components added, removed or replaced; state the reload would reset
(circuit breakers whose kind or window type changes, budgets whose plugin changes); and the
worst case of one call (attempts, total time, load amplification) before and after. Both files
are checked as `recourse validate` checks them.

  --format text|json     text (default) or one JSON object

Exit codes: 0 nothing changes, 1 something changes, 2 usage or an error in either file.
)";

constexpr std::string_view value_options[]{"--format"};

struct FieldDiff {
  std::string key;  // "payments.Charge", "payments.*", "*"
  std::string field;
  std::string before, after;
  SourceLocation where;  // of the new value; line 0 for a built-in default
};

struct WorstDiff {
  std::string key;
  host::WorstCase before, after;
};

struct Diff {
  std::vector<FieldDiff> fields;
  std::vector<std::string> components;  // describe_component_changes
  std::vector<std::string> breakers_reset;
  std::vector<std::string> budgets_reset;
  std::vector<WorstDiff> worst;
  bool changed() const {
    return !fields.empty() || !components.empty() || !breakers_reset.empty() || !budgets_reset.empty();
  }
};

bool same_worst(const host::WorstCase& a, const host::WorstCase& b) {
  return a.attempts == b.attempts && a.total_time == b.total_time && a.amplification == b.amplification;
}

// The keys whose policies the two tables hand out, each once: configured_policies' order of
// the new table, then what only the old one had.
std::vector<std::string> keys_of(const PolicyTable& before, const PolicyTable& after) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const PolicyTable* table : {&after, &before})
    for (const host::ConfiguredPolicy& p : host::configured_policies(*table))
      if (seen.insert(p.key).second) keys.push_back(p.key);
  return keys;
}

Diff diff(const host::Config& before, const host::Config& after) {
  Diff out;
  const auto fields = policy_fields();
  for (const std::string& text : keys_of(before.policies, after.policies)) {
    const Key key = *Key::parse(text);  // configured keys, "ns.*" and "*" all parse
    const ResolvedPolicy old_policy = host::configured_policy(before.policies, key).resolved;
    const ResolvedPolicy new_policy = host::configured_policy(after.policies, key).resolved;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const std::string a = format_field_value(fields[i].get(old_policy.policy));
      const std::string b = format_field_value(fields[i].get(new_policy.policy));
      if (a != b) out.fields.push_back({text, std::string(fields[i].path), a, b, new_policy.origins[i].where});
    }
    const CircuitPolicy& c0 = old_policy.policy.circuit;
    const CircuitPolicy& c1 = new_policy.policy.circuit;
    if (c0.enabled && !CircuitBreaker::carries_over(c0, c1)) out.breakers_reset.push_back(text);
    WorstDiff worst{text, host::worst_case(old_policy.policy), host::worst_case(new_policy.policy)};
    if (!same_worst(worst.before, worst.after)) out.worst.push_back(std::move(worst));
  }
  out.components = host::describe_component_changes(before, after);
  for (const host::ComponentSpec& old_budget : before.budgets) {
    const host::ComponentSpec* next = nullptr;
    for (const host::ComponentSpec& b : after.budgets)
      if (b.name == old_budget.name) next = &b;
    if (next == nullptr) out.budgets_reset.push_back(old_budget.name + ": removed");
    else if (next->plugin != old_budget.plugin)
      out.budgets_reset.push_back(old_budget.name + ": plugin " + old_budget.plugin + " -> " + next->plugin +
                                  ", starts fresh");
  }
  return out;
}

std::string time_text(const std::optional<Duration>& d) { return d ? format_duration(*d) : "unbounded"; }

std::string worst_text(const host::WorstCase& w) {
  return fmt::format("{} attempts, {}, {}x", w.attempts, time_text(w.total_time), w.amplification);
}

void print_text(std::string_view old_file, std::string_view new_file, const Diff& d) {
  line("# {} -> {}", old_file, new_file);
  if (!d.changed()) {
    fmt::print("no change\n");
    return;
  }
  std::string key;
  for (const FieldDiff& f : d.fields) {
    if (f.key != key) {
      key = f.key;
      line("{}", key == "*" ? std::string("* (any other key)") : key);
    }
    line("  {:<34} {} -> {}  {}", f.field, f.before, f.after, f.where.line != 0 ? to_string(f.where) : "built-in");
  }
  for (const std::string& c : d.components) line("component {}", c);
  for (const std::string& k : d.breakers_reset) line("reset: the circuit breaker of {} starts fresh", k);
  for (const std::string& b : d.budgets_reset) line("reset: budget {}", b);
  for (const WorstDiff& w : d.worst) line("worst case {}: {} -> {}", w.key, worst_text(w.before), worst_text(w.after));
}

void worst_json(JsonOutput& json, const host::WorstCase& w) {
  json.begin_object().key("max_attempts").integer(w.attempts).key("max_total_time");
  if (w.total_time) json.string(format_duration(*w.total_time));
  else json.null();
  json.key("max_load_amplification").integer(w.amplification).end_object();
}

void print_json(std::string_view old_file, std::string_view new_file, const Diff& d) {
  JsonOutput json;
  json.begin_object().key("old").string(old_file).key("new").string(new_file).key("changed").boolean(d.changed());
  json.key("fields").begin_array();
  for (const FieldDiff& f : d.fields) {
    json.begin_object().key("key").string(f.key).key("field").string(f.field);
    json.key("before").string(f.before).key("after").string(f.after).key("where");
    if (f.where.line == 0) {
      json.null();
    } else {
      json.begin_object().key("file").string(f.where.file).key("line").integer(f.where.line);
      json.key("column").integer(f.where.column).end_object();
    }
    json.end_object();
  }
  json.end_array().key("components").begin_array();
  for (const std::string& c : d.components) json.string(c);
  json.end_array().key("breakers_reset").begin_array();
  for (const std::string& k : d.breakers_reset) json.string(k);
  json.end_array().key("budgets_reset").begin_array();
  for (const std::string& b : d.budgets_reset) json.string(b);
  json.end_array().key("worst_case").begin_array();
  for (const WorstDiff& w : d.worst) {
    json.begin_object().key("key").string(w.key).key("before");
    worst_json(json, w.before);
    json.key("after");
    worst_json(json, w.after);
    json.end_object();
  }
  json.end_array().end_object();
  fmt::print("{}", json.str());
}

}  // namespace

int diff_command(std::span<const std::string_view> raw) {
  const Arguments args = parse_arguments(raw, value_options);
  if (!args.error.empty()) return usage_error("diff", args.error, help);
  if (args.help) return show_help(help);
  if (args.positional.size() != 2) return usage_error("diff", "expected OLD and NEW", help);
  std::string why;
  const auto format = output_format(args, why);
  if (!format) return usage_error("diff", why, help);

  const host::ConfigCheck old_check = host::check_config_file(std::string(args.positional[0]), true);
  const host::ConfigCheck new_check = host::check_config_file(std::string(args.positional[1]), true);
  if (!old_check.errors.empty() || !new_check.errors.empty() || !old_check.reading.parsed ||
      !new_check.reading.parsed) {
    for (const host::ConfigCheck* check : {&old_check, &new_check})
      for (const ConfigError& e : check->errors) fmt::print(stderr, "{}\n", printable(to_string(e)));
    return exit_usage;
  }
  const Diff d = diff(old_check.reading.config, new_check.reading.config);
  if (*format == OutputFormat::json) print_json(args.positional[0], args.positional[1], d);
  else print_text(args.positional[0], args.positional[1], d);
  return d.changed() ? exit_check_failed : exit_ok;
}

}  // namespace recourse::cli
