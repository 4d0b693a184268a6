// recourse.host.simulate — `recourse simulate`: what a policy does to a dependency, before a
// rollout. A dependency model (latency distribution, errors, capacity, timed phases such as an
// outage) read from [simulation]; clients issuing calls through the real executor with the
// real plugins, in virtual time; several policies (variants) side by side; the results as
// report::ReportData for the terminal table and report.html. The same seed gives the same
// report byte for byte: every thread that works for a call is a worker of the virtual clock,
// so the run is one deterministic sequence of events (docs/simulate.md).
module;
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

export module recourse.host.simulate;

export import recourse.host.runtime;
export import recourse.host.report;

export import :spec;

export namespace recourse::host::simulate {

// [simulation] as read: every problem with file:line:col and field path.
std::expected<SimulationSpec, ConfigErrors> read_simulation(const ConfigNode& table);

// The model in one paragraph, for the terminal and the report.
std::string describe(const SimulationSpec& spec);

struct RunOptions {
  std::optional<std::uint64_t> calls;
  std::optional<int> clients;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> compare;  // keys: one variant each, instead of [[simulation.variants]]
  bool progress = true;              // a progress bar on stderr when it is a terminal
  // Variants run at once, each pinned to a CPU of its own (default: the CPUs this process may
  // use). Any number gives the same report, byte for byte.
  std::optional<std::size_t> jobs;
};

// Runs every variant (each on its own executor, clock and dependency) and gathers the report.
std::expected<report::ReportData, ConfigErrors> run_simulation(const Config& config, const SimulationSpec& spec,
                                                               const RunOptions& options);

}  // namespace recourse::host::simulate
