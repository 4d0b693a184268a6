#!/usr/bin/env bash
# expect_json.sh CODE PYTHON_CONDITION COMMAND...: runs COMMAND and passes when it exits with
# CODE, its stdout parses as JSON, and PYTHON_CONDITION (a Python expression over `d`, the
# parsed document) is true. Fails when python3 is missing (scripts/bootstrap.sh installs it).
set -u
want_code=$1 condition=$2
shift 2
command -v python3 >/dev/null || { echo "expect_json.sh: python3 not found; run scripts/bootstrap.sh" >&2; exit 1; }
output=$("$@")
code=$?
printf '%s\n' "$output"
if [[ $code != "$want_code" ]]; then
  echo "expect_json.sh: exit code $code, wanted $want_code" >&2
  exit 1
fi
printf '%s' "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
if not (eval(sys.argv[1])):
    sys.exit("expect_json.sh: condition is false: " + sys.argv[1])
' "$condition"
