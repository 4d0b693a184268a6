#!/usr/bin/env bash
# The README's test command: installs what is missing, then configures, builds and runs the
# whole CTest suite for each preset given (default: dev, asan, tsan, fuzz — the suite must be
# clean under the sanitizers too, and fuzz builds the libFuzzer targets, replays their corpora
# and fuzzes each for 20 s), then the style check on changed files (scripts/check_style.sh).
# `scripts/test.sh dev` runs just the Debug build. The soak is not
# in the default set: `scripts/test.sh soak` (docs/reliability.md).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/bootstrap.sh
export PATH="$root/tools/bin:$PATH"
presets=("$@")
((${#presets[@]})) || presets=(dev asan tsan fuzz)
all=$SECONDS
for preset in "${presets[@]}"; do
  echo "=== recourse: cmake --workflow --preset $preset"
  start=$SECONDS
  cmake --workflow --preset "$preset"
  echo "=== recourse: preset $preset passed in $((SECONDS - start)) s"
done
# The house style on what the last commit changed (after the builds: clang-tidy reads build/dev's
# compile commands, and is skipped without them). Seconds, not minutes.
echo "=== recourse: scripts/check_style.sh"
scripts/check_style.sh
echo "=== recourse: ${presets[*]} passed in $((SECONDS - all)) s"
