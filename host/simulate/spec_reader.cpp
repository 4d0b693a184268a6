// [simulation] → SimulationSpec. Strict like the rest of the config: unknown fields, wrong
// types and out-of-range values are errors with file:line:col and the field path, all of them.
module;
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <tuple>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module recourse.host.simulate;

namespace recourse::host::simulate {
namespace {

class Reader {
 public:
  std::vector<ConfigError> errors;

  // The value of a getter, or nullopt after keeping its error.
  template <class T>
  std::optional<T> get(ConfigResult<std::optional<T>> result) {
    if (!result) {
      errors.push_back(std::move(result.error()));
      return std::nullopt;
    }
    return *result;
  }

  // A duration no longer than `max`: the model's bounds (spec.cppm) keep a run's time
  // arithmetic and memory finite, so a latency of a million hours is a located error here
  // rather than a run that allocates without end.
  std::optional<Duration> duration(const ConfigView& view, std::string_view field, Duration max) {
    auto d = get(view.duration(field));
    if (d && *d > max) {
      errors.push_back(view.error(field, "out of range: \"" + view.find(field)->string + "\"; at most " +
                                             format_duration(max)));
      return std::nullopt;
    }
    return d;
  }

  void unknown(const ConfigView& view, std::span<const std::string_view> known) {
    for (ConfigError& e : view.unknown_fields(known)) errors.push_back(std::move(e));
  }

  // A table, or an array of tables (`latency = {…}` or `latency = [{…}, {…}]`).
  std::vector<const ConfigNode*> tables(const ConfigView& view, std::string_view key) {
    std::vector<const ConfigNode*> out;
    const ConfigNode* node = view.find(key);
    if (node == nullptr) return out;
    if (node->kind == ConfigNode::Kind::table) {
      out.push_back(node);
    } else if (node->kind == ConfigNode::Kind::array) {
      for (const ConfigNode& item : node->items) {
        if (item.kind == ConfigNode::Kind::table) out.push_back(&item);
        else errors.push_back(ConfigError{item.where, item.path, "expected a table, got " + std::string(to_string(item.kind))});
      }
    } else {
      errors.push_back(view.error(key, "expected a table or an array of tables, got " + std::string(to_string(node->kind))));
    }
    return out;
  }

  LatencyPart latency_part(const ConfigNode& node) {
    const ConfigView view(node);
    static constexpr std::string_view known[]{"distribution", "weight", "value", "min", "max", "median", "sigma"};
    unknown(view, known);
    LatencyPart part;
    if (auto weight = get(view.number("weight", 0, 1e9))) part.weight = *weight;
    const std::string distribution = get(view.string("distribution")).value_or("constant");
    const auto need = [&](std::string_view field) {
      auto d = duration(view, field, max_model_duration);
      if (!d && view.find(field) == nullptr)
        errors.push_back(view.error("distribution", "a " + distribution + " latency needs " + std::string(field)));
      return d.value_or(Duration{});
    };
    if (distribution == "constant") {
      part.distribution = LatencyPart::Distribution::constant;
      part.value = need("value");
    } else if (distribution == "uniform") {
      part.distribution = LatencyPart::Distribution::uniform;
      part.low = need("min");
      part.high = need("max");
      if (part.high < part.low) errors.push_back(view.error("max", "must not be below min"));
    } else if (distribution == "lognormal") {
      part.distribution = LatencyPart::Distribution::lognormal;
      part.median = need("median");
      if (auto sigma = get(view.number("sigma", 0, 5))) part.sigma = *sigma;
    } else {
      errors.push_back(view.error("distribution", "unknown distribution \"" + distribution +
                                                      "\"; known: constant, uniform, lognormal"));
    }
    return part;
  }

  Failure failure(const ConfigNode& node) {
    const ConfigView view(node);
    static constexpr std::string_view known[]{"http", "grpc", "exception", "error"};
    unknown(view, known);
    Failure f;
    int given = 0;
    if (auto status = get(view.integer("http", 100, 599))) {
      f = {Failure::Kind::http, static_cast<int>(*status), 14, "HTTP " + std::to_string(*status)};
      ++given;
    }
    if (auto code = get(view.string("grpc"))) {
      if (auto number = grpc_code_from_name(*code)) f = {Failure::Kind::grpc, 503, *number, "gRPC " + *code};
      else errors.push_back(view.error("grpc", "unknown gRPC code \"" + *code + "\""));
      ++given;
    }
    if (auto message = get(view.string("exception"))) {
      f = {Failure::Kind::exception, 503, 14, "an exception (" + *message + ")"};
      ++given;
    }
    if (auto error = get(view.string("error"))) {
      f = {Failure::Kind::error, 503, 14, "an error code (" + *error + ")"};
      ++given;
    }
    if (given != 1) errors.push_back(view.error("", "give exactly one of http, grpc, exception, error"));
    return f;
  }

  Capacity capacity(const ConfigNode& node) {
    const ConfigView view(node);
    static constexpr std::string_view known[]{"concurrency", "rps", "overload_latency", "overload_error_rate"};
    unknown(view, known);
    Capacity c;
    c.concurrency = get(view.integer("concurrency", 1, 1'000'000'000));
    c.rps = get(view.number("rps", 0.001, 1e12));
    if (auto m = get(view.number("overload_latency", 1, 1000))) c.overload_latency = *m;
    if (auto r = get(view.number("overload_error_rate", 0, 1))) c.overload_error_rate = *r;
    return c;
  }

  Phase phase(const ConfigNode& node) {
    const ConfigView view(node);
    static constexpr std::string_view known[]{"start", "end", "label", "error_rate", "latency_multiplier"};
    unknown(view, known);
    Phase p;
    p.start = duration(view, "start", max_phase_time).value_or(Duration{});
    if (auto end = duration(view, "end", max_phase_time)) {
      p.end = *end;
      if (p.end <= p.start) errors.push_back(view.error("end", "must be after start"));
    } else if (view.find("end") == nullptr) {
      errors.push_back(view.error("", "a phase needs end"));
    }
    p.label = get(view.string("label")).value_or("phase");
    p.error_rate = get(view.number("error_rate", 0, 1));
    if (auto m = get(view.number("latency_multiplier", 0.001, 1000))) p.latency_multiplier = *m;
    return p;
  }

  DependencyModel dependency(const ConfigNode& node) {
    const ConfigView view(node);
    static constexpr std::string_view known[]{"latency", "error_rate", "failure", "error_latency", "capacity"};
    unknown(view, known);
    DependencyModel model;
    for (const ConfigNode* part : tables(view, "latency")) model.latency.push_back(latency_part(*part));
    if (model.latency.empty()) {
      // Absent, or `latency = []` (found by simulation_fuzz: the draw had no part to fall back on).
      const ConfigNode* given = view.find("latency");
      if (given == nullptr) errors.push_back(view.error("", "the dependency needs a latency"));
      else if (given->kind == ConfigNode::Kind::array && given->items.empty())
        errors.push_back(view.error("latency",
                                    "the latency mixture is empty: give at least one part, e.g. "
                                    "latency = { distribution = \"constant\", value = \"10ms\" }"));
    }
    if (auto rate = get(view.number("error_rate", 0, 1))) model.error_rate = *rate;
    if (const ConfigNode* f = view.find("failure")) {
      if (f->kind == ConfigNode::Kind::table) model.failure = failure(*f);
      else errors.push_back(view.error("failure", "expected a table such as { http = 503 }"));
    }
    model.error_latency = duration(view, "error_latency", max_model_duration);
    if (const ConfigNode* c = view.find("capacity")) {
      if (c->kind == ConfigNode::Kind::table) model.capacity = capacity(*c);
      else errors.push_back(view.error("capacity", "expected a table such as { concurrency = 100 }"));
    }
    return model;
  }
};

}  // namespace

std::expected<SimulationSpec, ConfigErrors> read_simulation(const ConfigNode& table) {
  Reader r;
  const ConfigView view(table);
  static constexpr std::string_view known[]{"description", "calls",  "clients",    "seed",       "rate",
                                            "think_time",  "bucket", "sample",     "dependency", "phases",
                                            "variants"};
  r.unknown(view, known);
  SimulationSpec spec;
  spec.description = r.get(view.string("description")).value_or("");
  if (auto calls = r.get(view.integer("calls", 1, 100'000'000))) spec.calls = static_cast<std::uint64_t>(*calls);
  if (auto clients = r.get(view.integer("clients", 1, 4096))) spec.clients = static_cast<int>(*clients);
  if (auto seed = r.get(view.integer("seed", 0, INT64_MAX))) spec.seed = static_cast<std::uint64_t>(*seed);
  spec.where = table.where;
  spec.rate = r.get(view.number("rate", 0.001, 1e9));
  if (const ConfigNode* rate = view.find("rate")) spec.rate_where = rate->where;
  if (auto think = r.duration(view, "think_time", max_model_duration)) spec.think_time = *think;
  if (auto bucket = r.duration(view, "bucket", max_model_duration)) {
    if (*bucket < std::chrono::milliseconds(1)) r.errors.push_back(view.error("bucket", "must be at least 1ms"));
    else spec.bucket = *bucket;
  }
  if (auto sample = r.get(view.integer("sample", 0, 100'000))) spec.sample = static_cast<int>(*sample);
  if (const ConfigNode* dependency = view.find("dependency"); dependency != nullptr && dependency->kind == ConfigNode::Kind::table)
    spec.dependency = r.dependency(*dependency);
  else
    r.errors.push_back(view.error("dependency", "[simulation.dependency] is required: the latency and errors of the dependency"));
  for (const ConfigNode* phase : r.tables(view, "phases")) spec.dependency.phases.push_back(r.phase(*phase));
  for (const ConfigNode* node : r.tables(view, "variants")) {
    const ConfigView v(*node);
    static constexpr std::string_view variant_fields[]{"name", "key"};
    r.unknown(v, variant_fields);
    Variant variant;
    variant.key = r.get(v.string("key")).value_or("");
    variant.name = r.get(v.string("name")).value_or(variant.key);
    if (variant.key.empty()) r.errors.push_back(v.error("key", "a variant needs the key whose policy it runs"));
    else if (auto parsed = Key::parse(variant.key); !parsed) r.errors.push_back(v.error("key", "invalid key \"" + variant.key + "\""));
    spec.variants.push_back(std::move(variant));
  }
  if (!r.errors.empty()) {
    // In file order, like every other config error.
    std::sort(r.errors.begin(), r.errors.end(), [](const ConfigError& a, const ConfigError& b) {
      return std::tie(a.where.line, a.where.column, a.field_path, a.message) <
             std::tie(b.where.line, b.where.column, b.field_path, b.message);
    });
    return std::unexpected(ConfigErrors{std::move(r.errors)});
  }
  return spec;
}

}  // namespace recourse::host::simulate
