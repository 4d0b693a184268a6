#!/usr/bin/env bash
# Writes the report of the README's main command (a shorter run) into DIR: what
# tests/report/render_in_chromium.sh renders. RECOURSE and CONFIG come from CTest.
#   default_report.sh DIR
set -euo pipefail
"$RECOURSE" simulate "$CONFIG" --calls 4000 --report "$1"
