// Runs N plain calls (a key handle, the first attempt succeeding: BM_RunKeyHandle's loop) and
// nothing else, for counting instructions under callgrind: the difference between two counts
// divided by the difference in N is the executor's cost per call, startup and the key's first
// compile cancelled out (docs/performance.md).
//
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null build/release/bench/instructions_per_call 1
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null build/release/bench/instructions_per_call 100001
#include <cstdlib>
#include <cstdio>

import recourse.core;

namespace {

int work(const recourse::Attempt& attempt) { return attempt.index + 1; }

}  // namespace

int main(int argc, char** argv) {
  const long calls = argc > 1 ? std::atol(argv[1]) : 1;
  recourse::Executor executor;
  const auto key = *recourse::KeyHandle::intern("bench.Handle");
  long sum = 0;
  for (long i = 0; i < calls; ++i) sum += executor.run(key, work);
  std::printf("%ld calls, sum %ld\n", calls, sum);
  return sum == calls ? 0 : 1;
}
