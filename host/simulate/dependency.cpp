// Dependency: the model made concrete (see dependency.cppm).
module;
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <mutex>
#include <numbers>
#include <vector>

module recourse.host.simulate;

import :dependency;

namespace recourse::host::simulate {

Dependency::Dependency(const DependencyModel& model, std::uint64_t seed, TimePoint origin, Duration bucket)
    : model_(model), origin_(origin), random_(seed), arrivals_(bucket, max_buckets) {}

namespace {

// A latency in nanoseconds, as a double, made a Duration no longer than the model allows (a
// double past the range of Duration::rep would be undefined behaviour to convert).
Duration capped(double nanoseconds) {
  constexpr auto max = static_cast<double>(max_model_duration.count());
  if (!(nanoseconds > 0)) return Duration::zero();  // also NaN
  return nanoseconds >= max ? max_model_duration : Duration(static_cast<Duration::rep>(nanoseconds));
}

}  // namespace

// Box–Muller, one of the pair.
double Dependency::normal() noexcept {
  const double u1 = std::max(random_.next_unit(), 1e-300);
  const double u2 = random_.next_unit();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

Duration Dependency::draw_latency() {
  if (model_.latency.empty()) return Duration::zero();  // the spec reader refuses this; a model built in code may not
  double total = 0;
  for (const LatencyPart& part : model_.latency) total += part.weight;
  double pick = random_.next_unit() * total;
  const LatencyPart* chosen = &model_.latency.back();
  for (const LatencyPart& part : model_.latency) {
    if (pick < part.weight) {
      chosen = &part;
      break;
    }
    pick -= part.weight;
  }
  switch (chosen->distribution) {
    case LatencyPart::Distribution::constant: return chosen->value;
    case LatencyPart::Distribution::uniform:
      return chosen->low + capped(random_.next_unit() * static_cast<double>((chosen->high - chosen->low).count()));
    case LatencyPart::Distribution::lognormal:
      return capped(static_cast<double>(chosen->median.count()) * std::exp(chosen->sigma * normal()));
  }
  return chosen->value;
}

Dependency::Answer Dependency::begin(TimePoint now) {
  std::lock_guard lock(mutex_);
  const Duration since = now - origin_;
  arrivals_.add(since);
  ++in_flight_;
  while (!last_second_.empty() && now - last_second_.front() >= std::chrono::seconds(1)) last_second_.pop_front();
  last_second_.push_back(now);

  double error_rate = model_.error_rate;
  double latency_multiplier = 1;
  for (const Phase& phase : model_.phases) {
    if (since < phase.start || since >= phase.end) continue;
    if (phase.error_rate) error_rate = *phase.error_rate;
    latency_multiplier *= phase.latency_multiplier;
  }
  const Capacity& capacity = model_.capacity;
  const bool overloaded = (capacity.concurrency && in_flight_ > *capacity.concurrency) ||
                          (capacity.rps && static_cast<double>(last_second_.size()) > *capacity.rps);
  if (overloaded) {
    error_rate = std::max(error_rate, capacity.overload_error_rate);
    latency_multiplier *= capacity.overload_latency;
  }
  // Both draws always happen, so one request's fate never shifts another's latency.
  const Duration drawn = draw_latency();
  Answer answer;
  answer.fails = random_.next_unit() < error_rate;
  const Duration base = answer.fails && model_.error_latency ? *model_.error_latency : drawn;
  answer.latency = capped(static_cast<double>(base.count()) * latency_multiplier);
  return answer;
}

void Dependency::end() noexcept {
  std::lock_guard lock(mutex_);
  --in_flight_;
}

std::vector<double> Dependency::load_per_second(std::size_t buckets) const {
  std::lock_guard lock(mutex_);
  const double seconds = std::chrono::duration<double>(arrivals_.bucket()).count();
  const std::vector<std::uint64_t>& counts = arrivals_.counts();
  std::vector<double> load(buckets, 0.0);
  for (std::size_t i = 0; i < std::min(buckets, counts.size()); ++i) load[i] = static_cast<double>(counts[i]) / seconds;
  return load;
}

Duration Dependency::bucket() const {
  std::lock_guard lock(mutex_);
  return arrivals_.bucket();
}

void Dependency::widen_to(Duration bucket) {
  std::lock_guard lock(mutex_);
  arrivals_.widen_to(bucket);
}

}  // namespace recourse::host::simulate
