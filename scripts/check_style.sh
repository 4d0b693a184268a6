#!/usr/bin/env bash
# The house style on what changed: clang-format (.clang-format) on the changed lines of C++
# files, clang-tidy (.clang-tidy) on the changed non-module .cpp files. Nothing is rewritten;
# violations are listed and the script fails. docs/contributing.md explains the choices.
#
#   scripts/check_style.sh [BASE]   # BASE: a commit; default HEAD~1
#
# "Changed" is BASE against the working tree (so uncommitted edits count). The default HEAD~1
# is what a fresh clone of main can answer by itself: the last commit, and for a merge commit
# its first parent, i.e. everything the merge brought in. On a branch, pass the branch point
# (`scripts/check_style.sh main` uses the merge-base with main). Fix a finding with
# `git clang-format-19 BASE` or clang-format-19 -i --lines=A:B FILE.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
base_arg=${1:-HEAD~1}
build=build/dev  # its compile_commands.json and module maps are what clang-tidy needs

if ! base=$(git merge-base "$base_arg" HEAD 2>/dev/null); then
  # A shallow clone has no HEAD~1: there is nothing to compare with, which is not a violation.
  echo "recourse style: base '$base_arg' not in this clone (shallow?); style check skipped" >&2
  exit 0
fi

mapfile -t files < <(git diff --name-only --diff-filter=ACMR "$base" -- \
  'modules/*' 'host/*' 'plugins/*' 'tests/*' 'bench/*' 'examples/*' |
  grep -E '\.(cpp|cppm|hpp|h)$' || true)
((${#files[@]})) || { echo "recourse style: no C++ files changed since ${base:0:12}"; exit 0; }

failed=0
start=$SECONDS

# clang-format, changed lines only: the code as written is not reformatted wholesale.
for f in "${files[@]}"; do
  # Hunk headers "@@ -a,b +START,COUNT @@" give the changed lines in the new file.
  mapfile -t ranges < <(git diff -U0 "$base" -- "$f" |
    sed -nE 's/^@@ -[0-9,]+ \+([0-9]+)(,([0-9]+))? @@.*/\1 \3/p' |
    awk '{n = ($2 == "" ? 1 : $2); if (n > 0) printf "--lines=%d:%d\n", $1, $1 + n - 1}')
  ((${#ranges[@]})) || continue
  if ! out=$(clang-format-19 --dry-run --Werror "${ranges[@]}" "$f" 2>&1); then
    failed=1
    echo "recourse style: $f is not clang-formatted on its changed lines:" >&2
    grep -E '^[^ ].*:[0-9]+:[0-9]+: ' <<<"$out" | sed 's/: error: code should be clang-formatted.*//; s/^/  /' >&2
  fi
done

# A file, or a header it includes with quotes, that is or imports a named module. A quoted
# header is looked for beside the file, then in tests/plugins (an include directory of
# recourse_plugin_tests, for the plugins' own tests under plugins/<category>/<name>/).
uses_modules() {
  local dir f=$1 header where
  dir=$(dirname "$f")
  grep -qE '^(export )?(module|import) ' "$f" && return 0
  while read -r header; do
    for where in "$dir" tests/plugins; do
      [[ -f $where/$header ]] && grep -qE '^(export )?(module|import) ' "$where/$header" && return 0
    done
  done < <(sed -nE 's/^#include "([^"]+)".*/\1/p' "$f")
  return 1
}

# clang-tidy, where it pays: plain .cpp files the dev build compiles. Module units and their
# importers are left out: they need the build's BMIs, and clang-tidy 19 walks everything a BMI
# brings in (75 s of CPU for one executor unit against ~10 s for a plain file; docs/contributing.md).
if [[ -f $build/compile_commands.json ]]; then
  tidy=()
  for f in "${files[@]}"; do
    [[ $f == *.cpp ]] || continue
    [[ $f == *_probe.cpp ]] && continue  # compile-fail probes (tests/module_smoke): errors on purpose
    uses_modules "$f" && continue
    grep -qF "\"$root/$f\"" "$build/compile_commands.json" || continue
    tidy+=("$f")
  done
  echo "recourse style: clang-tidy on ${#tidy[@]} plain .cpp files"
  if ((${#tidy[@]})); then
    if ! out=$(clang-tidy-19 -p "$build" --quiet "${tidy[@]}" 2>&1); then
      failed=1
      echo "recourse style: clang-tidy found problems:" >&2
      grep -E ': (warning|error): ' <<<"$out" | sed 's/^/  /' >&2
    fi
  fi
else
  echo "recourse style: no $build/compile_commands.json (build the dev preset first); clang-tidy skipped" >&2
fi

if ((failed)); then
  echo "recourse style: FAILED (${#files[@]} changed files since ${base:0:12}; see docs/contributing.md)" >&2
  exit 1
fi
echo "recourse style: ${#files[@]} changed files since ${base:0:12} pass ($((SECONDS - start)) s)"
