#!/usr/bin/env bash
# A short libFuzzer run of one target (CTest label fuzz-smoke, fuzz preset only): SECONDS of
# fuzzing on a copy of its seed corpus, so the checked-in corpus never changes; the
# regressions are read as extra seeds. A crash, a leak, a sanitizer report or a timeout fails
# the test and leaves the input in WORKDIR/artifacts/ (minimize it: docs/reliability.md).
#   smoke.sh TARGET SECONDS CORPUS REGRESSIONS WORKDIR [DICT]
set -euo pipefail
# Reports with file:line need a symbolizer that reads clang 19's DWARF 5 (Debian: llvm-19).
if [[ -z ${ASAN_SYMBOLIZER_PATH:-} && -x /usr/lib/llvm-19/bin/llvm-symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-19/bin/llvm-symbolizer
fi
target=$1 seconds=$2 corpus=$3 regressions=$4 work=$5 dict=${6:-}
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp -R "$corpus/." "$work/corpus/"
seeds=()
[[ -d $regressions ]] && seeds+=("$regressions")
options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
         -artifact_prefix="$work/artifacts/")
[[ -n $dict ]] && options+=(-dict="$dict")
exec "$target" "${options[@]}" "$work/corpus" "${seeds[@]}"
