#!/usr/bin/env bash
# The README's test command: installs what is missing, then configures, builds and runs the
# whole CTest suite for each preset given (default: dev, asan, tsan — the suite must be clean
# under the sanitizers too). `scripts/test.sh dev` runs just the Debug build.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/bootstrap.sh
export PATH="$root/tools/bin:$PATH"
presets=("$@")
((${#presets[@]})) || presets=(dev asan tsan)
for preset in "${presets[@]}"; do
  echo "=== recourse: cmake --workflow --preset $preset"
  start=$SECONDS
  cmake --workflow --preset "$preset"
  echo "=== recourse: preset $preset passed in $((SECONDS - start)) s"
done
