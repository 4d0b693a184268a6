// recourse.host.simulate:dependency (internal) — the modelled dependency a simulation calls:
// draws each request's latency and fate from the model, its phases and its load, and counts
// the requests that reached it per time bucket. Its random stream is its own (seeded), drawn in
// the order requests arrive — which virtual time makes deterministic. No answer takes longer
// than max_model_duration, whatever a lognormal's tail or the multipliers say.
module;
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

module recourse.host.simulate:dependency;

import recourse.core;
import :spec;
import :time_series;

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

  // Requests that arrived, per second, in each of the first `buckets` buckets of the run so far.
  std::vector<double> load_per_second(std::size_t buckets) const;
  // The arrivals' bucket: the configured one, doubled as often as the run needed to stay
  // within max_buckets.
  Duration bucket() const;
  void widen_to(Duration bucket);

 private:
  double normal() noexcept;  // standard normal
  Duration draw_latency();

  const DependencyModel& model_;
  const TimePoint origin_;
  mutable std::mutex mutex_;
  SplitMixRandom random_;  // the same stream on every platform for a seed (std distributions are not)
  std::int64_t in_flight_ = 0;
  std::deque<TimePoint> last_second_;  // arrivals, for an rps capacity
  BucketCounts arrivals_;
};

}  // namespace recourse::host::simulate
