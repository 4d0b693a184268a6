// summarize(): a variant's headline numbers. Percentiles are nearest-rank — the value at rank
// ceil(p·n) of the sorted latencies — computed in integers so p99.9 of 1000 calls is exactly
// the 999th, not the 1000th after a rounding error.
module;
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

module recourse.host.report;

namespace recourse::host::report {
namespace {

// The nearest-rank percentile numerator/denominator of a sorted, non-empty vector.
double nearest_rank(const std::vector<double>& sorted, std::uint64_t numerator, std::uint64_t denominator) {
  const std::uint64_t n = sorted.size();
  std::uint64_t rank = (numerator * n + denominator - 1) / denominator;  // ceil(p·n)
  rank = std::clamp<std::uint64_t>(rank, 1, n);
  return sorted[rank - 1];
}

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

}  // namespace

Summary summarize(const VariantResult& variant) {
  Summary s;
  s.success_rate = ratio(static_cast<double>(variant.successes), static_cast<double>(variant.calls));
  s.load_amplification = ratio(static_cast<double>(variant.dependency_attempts), static_cast<double>(variant.calls));

  double histogram_calls = 0, histogram_attempts = 0;
  for (std::size_t n = 0; n < variant.attempts_histogram.size(); ++n) {
    histogram_calls += static_cast<double>(variant.attempts_histogram[n]);
    histogram_attempts += static_cast<double>(n) * static_cast<double>(variant.attempts_histogram[n]);
  }
  s.attempts_per_call = histogram_calls > 0 ? histogram_attempts / histogram_calls : s.load_amplification;
  for (const ReasonCount& r : variant.final_reasons) {
    if (s.top_failure_reasons.size() == summary_reasons) break;
    s.top_failure_reasons.push_back(
        {r.reason, r.calls, ratio(static_cast<double>(r.calls), static_cast<double>(variant.calls))});
  }

  std::vector<double> sorted;
  sorted.reserve(variant.latencies_ms.size());
  for (double v : variant.latencies_ms)
    if (std::isfinite(v)) sorted.push_back(v);
  if (sorted.empty()) return s;
  std::ranges::sort(sorted);
  s.p50_ms = nearest_rank(sorted, 50, 100);
  s.p90_ms = nearest_rank(sorted, 90, 100);
  s.p99_ms = nearest_rank(sorted, 99, 100);
  s.p999_ms = nearest_rank(sorted, 999, 1000);
  s.max_ms = sorted.back();
  return s;
}

}  // namespace recourse::host::report
