// describe(): the simulation's model in one paragraph, for the terminal and the report.
module;
#include <fmt/format.h>

#include <chrono>
#include <string>

module recourse.host.simulate;

namespace recourse::host::simulate {
namespace {

std::string percent(double fraction) { return fmt::format("{:g}%", fraction * 100.0); }

std::string latency_part(const LatencyPart& part) {
  switch (part.distribution) {
    case LatencyPart::Distribution::constant: return format_duration(part.value);
    case LatencyPart::Distribution::uniform:
      return fmt::format("uniform {}–{}", format_duration(part.low), format_duration(part.high));
    case LatencyPart::Distribution::lognormal:
      return fmt::format("lognormal around {} (σ {:g})", format_duration(part.median), part.sigma);
  }
  return "?";
}

}  // namespace

std::string describe(const SimulationSpec& spec) {
  const DependencyModel& d = spec.dependency;
  std::string text = spec.description.empty() ? "" : spec.description + " ";
  double total = 0;
  for (const LatencyPart& part : d.latency) total += part.weight;
  text += "Dependency latency: ";
  for (std::size_t i = 0; i < d.latency.size(); ++i) {
    if (i) text += ", ";
    if (d.latency.size() > 1) text += percent(d.latency[i].weight / total) + " ";
    text += latency_part(d.latency[i]);
  }
  text += fmt::format(". Errors: {} of requests fail with {}", percent(d.error_rate), d.failure.text.empty() ? "an error code" : d.failure.text);
  if (d.error_latency) text += " after " + format_duration(*d.error_latency);
  text += ".";
  if (d.capacity.concurrency || d.capacity.rps) {
    text += " Capacity: ";
    if (d.capacity.concurrency) text += fmt::format("{} requests in flight", *d.capacity.concurrency);
    if (d.capacity.concurrency && d.capacity.rps) text += " or ";
    if (d.capacity.rps) text += fmt::format("{:g} requests/s", *d.capacity.rps);
    text += fmt::format("; beyond it latency ×{:g} and at least {} errors.", d.capacity.overload_latency,
                        percent(d.capacity.overload_error_rate));
  }
  for (const Phase& phase : d.phases) {
    text += fmt::format(" {} from {} to {}:", phase.label, format_duration(phase.start), format_duration(phase.end));
    if (phase.error_rate) text += " " + percent(*phase.error_rate) + " errors";
    if (phase.latency_multiplier != 1) text += fmt::format(" latency ×{:g}", phase.latency_multiplier);
    text += ".";
  }
  if (spec.rate) text += fmt::format(" Load: {:g} calls/s offered (Poisson arrivals), {} clients.", *spec.rate, spec.clients);
  else text += fmt::format(" Load: {} clients calling back to back", spec.clients) +
               (spec.think_time > Duration::zero() ? " with " + format_duration(spec.think_time) + " between calls." : ".");
  return text;
}

}  // namespace recourse::host::simulate
