// `recourse simulate CONFIG [--scenario FILE] [--calls N] [--clients C] [--seed S]
//                            [--report DIR] [--compare KEY,KEY] [--format text|json] [--jobs N]`:
// what the config's policies do to a modelled dependency, in virtual time, side by side.
#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "arguments.hpp"
#include "commands.hpp"
#include "json_output.hpp"
#include "terminal_text.hpp"

import recourse.host.simulate;

namespace recourse::cli {
namespace {

constexpr std::string_view help =
    R"(usage: recourse simulate CONFIG [--scenario FILE] [--calls N] [--clients C] [--seed S]
                         [--report DIR] [--compare KEY,KEY...] [--format text|json] [--jobs N]

Runs calls through the real executor and plugins against a modelled dependency, in virtual
time, once per variant (a policy key), and prints per variant: success rate, p50/p90/p99/p99.9
latency, attempts per call, load amplification (attempts reaching the dependency / calls),
budget denials, hedges spawned and won, and time the circuit spent open.

The model is CONFIG's [simulation] table, or FILE's (--scenario); docs/simulate.md.

  --calls N            calls per variant (default: [simulation] calls)
  --clients C          concurrent clients (default: [simulation] clients)
  --seed S             the run's seed: the same seed gives the same report, byte for byte
  --compare KEY,KEY    variants: these keys, instead of [[simulation.variants]]
  --report DIR         also write DIR/report.html (SVG charts), timelines.jsonl, trace.json
  --format text|json   the summary as a table (default) or JSON
  --jobs N             variants run at once, each on a CPU of its own (default: the CPUs
                       this process may use); any N gives the same report

Exit codes: 0 ok, 2 usage or configuration error.
)";

constexpr std::string_view value_options[]{"--scenario", "--calls",   "--clients", "--seed",
                                           "--report",   "--compare", "--format",  "--jobs"};

template <class T>
bool number(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::vector<std::string> split(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (const auto item = list.substr(0, comma); !item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

void print_json(const host::report::ReportData& data) {
  JsonOutput json;
  json.begin_object().key("config").string(data.config_label).key("seed").integer(static_cast<long long>(data.seed));
  json.key("clients").integer(data.clients).key("calls_per_variant").integer(static_cast<long long>(data.calls_per_variant));
  json.key("variants").begin_array();
  for (const auto& v : data.variants) {
    const auto s = host::report::summarize(v);
    json.begin_object().key("name").string(v.name).key("key").string(v.key);
    json.key("calls").integer(static_cast<long long>(v.calls)).key("success_rate").number(s.success_rate);
    json.key("p50_ms").number(s.p50_ms).key("p90_ms").number(s.p90_ms).key("p99_ms").number(s.p99_ms);
    json.key("p999_ms").number(s.p999_ms).key("attempts_per_call").number(s.attempts_per_call);
    json.key("load_amplification").number(s.load_amplification);
    json.key("budget_denials").integer(static_cast<long long>(v.budget_denials));
    json.key("hedges_spawned").integer(static_cast<long long>(v.hedges_spawned));
    json.key("hedges_won").integer(static_cast<long long>(v.hedges_won));
    json.key("circuit_open_s").number(v.circuit_open_s).end_object();
  }
  json.end_array().end_object();
  fmt::print("{}\n", json.str());
}

}  // namespace

int simulate_command(std::span<const std::string_view> raw) {
  const Arguments args = parse_arguments(raw, value_options);
  if (args.help) return show_help(help);
  if (!args.error.empty()) return usage_error("simulate", args.error, help);
  if (args.positional.size() != 1) return usage_error("simulate", "give exactly one CONFIG", help);
  std::string format_error;
  const auto format = output_format(args, format_error);
  if (!format) return usage_error("simulate", format_error, help);

  host::simulate::RunOptions options;
  if (auto calls = args.value("--calls")) {
    std::uint64_t n = 0;
    if (!number(*calls, n) || n == 0) return usage_error("simulate", "--calls needs a positive number", help);
    options.calls = n;
  }
  if (auto clients = args.value("--clients")) {
    int n = 0;
    if (!number(*clients, n) || n <= 0 || n > 4096) return usage_error("simulate", "--clients needs 1…4096", help);
    options.clients = n;
  }
  if (auto seed = args.value("--seed")) {
    std::uint64_t n = 0;
    if (!number(*seed, n)) return usage_error("simulate", "--seed needs a number", help);
    options.seed = n;
  }
  if (auto jobs = args.value("--jobs")) {
    int n = 0;
    if (!number(*jobs, n) || n <= 0 || n > 256) return usage_error("simulate", "--jobs needs 1…256", help);
    options.jobs = static_cast<std::size_t>(n);
  }
  if (auto compare = args.value("--compare")) options.compare = split(*compare);
  options.progress = *format == OutputFormat::text;

  auto config = host::load_config(std::string(args.positional[0]));
  if (!config) {
    print_error_lines(stderr, config.error());
    return exit_usage;
  }
  for (const ConfigError& deprecated : config->deprecations)  // once, not per variant's runtime
    fmt::print(stderr, "warning: {}\n", to_string(deprecated));
  std::optional<ConfigNode> table = config->simulation;
  std::string model_source = std::string(args.positional[0]);
  if (auto scenario = args.value("--scenario")) {
    auto file = host::load_config(std::string(*scenario));
    if (!file) {
      print_error_lines(stderr, file.error());
      return exit_usage;
    }
    table = file->simulation;
    model_source = std::string(*scenario);
  }
  if (!table) {
    fmt::print(stderr, "recourse simulate: {} has no [simulation] table (docs/simulate.md)\n", printable(model_source));
    return exit_usage;
  }
  auto spec = host::simulate::read_simulation(*table);
  if (!spec) {
    print_error_lines(stderr, spec.error());
    return exit_usage;
  }
  auto data = host::simulate::run_simulation(*config, *spec, options);
  if (!data) {
    print_error_lines(stderr, data.error());
    return exit_usage;
  }
  if (*format == OutputFormat::json) {
    print_json(*data);
  } else {
    // Variant names and keys are the config's bytes: escaped for the terminal.
    fmt::print("{}\n\n{}", printable_lines(data->model_text), printable_lines(host::report::summary_table(*data)));
  }
  if (auto dir = args.value("--report")) {
    if (auto written = host::report::write_report(*data, std::string(*dir)); !written) {
      fmt::print(stderr, "recourse simulate: {}\n", written.error());
      return exit_usage;
    }
    if (*format == OutputFormat::text) fmt::print("\nreport: {}/report.html (also timelines.jsonl, trace.json)\n", *dir);
  }
  return exit_ok;
}

}  // namespace recourse::cli
