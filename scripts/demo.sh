#!/usr/bin/env bash
# The README's main command: installs what is missing, builds the `recourse` tool and the
# standard plugins — only those (not the tests or benchmarks), with the build's progress — and
# simulates the default config's policies against its modelled dependency: the summary table
# in the terminal, the report in out/report/report.html.
#   scripts/demo.sh [CONFIG] [simulate options…]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/bootstrap.sh
export PATH="$root/tools/bin:$PATH"
echo "recourse demo: configuring (build/dev)"
cmake --preset dev >/dev/null
echo "recourse demo: building the tool and the standard plugins"
cmake --build --preset dev --target recourse recourse-plugins
exec build/dev/host/recourse simulate "${1:-config/recourse.toml}" --report out/report "${@:2}"
