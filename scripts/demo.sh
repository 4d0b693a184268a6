#!/usr/bin/env bash
# The README's main command: installs what is missing, builds the `recourse` tool and shows
# the effective policy of every key in the default config (or the config given).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/bootstrap.sh
export PATH="$root/tools/bin:$PATH"
cmake --preset dev >/dev/null
cmake --build --preset dev >/dev/null   # the tool and the standard plugins the config loads
exec build/dev/host/recourse explain "${1:-config/recourse.toml}" "${@:2}"
