// report_sample DIR [SEED] [CALLS]: writes the sample report (sample_report.cppm) into DIR and
// prints its summary table — the page the headless Chromium test renders, and a quick way to
// look at the report while working on it.
#include <cstdint>
#include <cstdio>
#include <string>

import recourse.test.sample_report;

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fputs("usage: report_sample DIR [SEED] [CALLS]\n", stderr);
    return 2;
  }
  const std::uint64_t seed = argc > 2 ? std::stoull(argv[2]) : 42;
  const std::uint64_t calls = argc > 3 ? std::stoull(argv[3]) : 20000;
  const recourse::host::report::ReportData data = recourse::test::sample_report(seed, calls);
  if (auto written = recourse::host::report::write_report(data, argv[1]); !written) {
    std::fprintf(stderr, "report_sample: %s\n", written.error().c_str());
    return 1;
  }
  std::fputs(recourse::host::report::summary_table(data).c_str(), stdout);
  return 0;
}
