#!/usr/bin/env bash
# expect.sh CODE REGEX COMMAND...: runs COMMAND and passes when it exits with CODE and its
# combined output matches the extended REGEX (matched across lines). Used by CTest to check
# the `recourse` tool the way a user sees it.
set -u
want_code=$1 pattern=$2
shift 2
output=$("$@" 2>&1)
code=$?
printf '%s\n' "$output"
if [[ $code != "$want_code" ]]; then
  echo "expect.sh: exit code $code, wanted $want_code" >&2
  exit 1
fi
if ! printf '%s' "$output" | grep -Pzq -- "$pattern"; then
  echo "expect.sh: output does not match: $pattern" >&2
  exit 1
fi
