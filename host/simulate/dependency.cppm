// recourse.host.simulate:dependency (internal) — the modelled dependency a simulation calls:
// draws each request's latency and fate from the model, its phases and its load, and counts
// the requests that reached it per time bucket. Its random stream is its own (seeded), drawn in
// the order requests arrive — which virtual time makes deterministic.
module;
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

module recourse.host.simulate:dependency;

import recourse.core;
import :spec;

namespace recourse::host::simulate {

class Dependency {
 public:
  Dependency(const DependencyModel& model, std::uint64_t seed, TimePoint origin, Duration bucket);

  struct Answer {
    Duration latency{};
    bool fails = false;
  };
  // A request arrives at `now`: how long it takes and whether it fails.
  Answer begin(TimePoint now);
  void end() noexcept;  // it returned (or was abandoned)

  // Requests that arrived, per second, in each bucket of the run so far.
  std::vector<double> load_per_second(std::size_t buckets) const;

 private:
  double normal() noexcept;  // standard normal
  Duration draw_latency();

  const DependencyModel& model_;
  const TimePoint origin_;
  const Duration bucket_;
  mutable std::mutex mutex_;
  SplitMixRandom random_;  // the same stream on every platform for a seed (std distributions are not)
  std::int64_t in_flight_ = 0;
  std::deque<TimePoint> last_second_;  // arrivals, for an rps capacity
  std::vector<std::uint64_t> arrivals_;  // per bucket
};

}  // namespace recourse::host::simulate
