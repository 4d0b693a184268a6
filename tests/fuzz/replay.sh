#!/usr/bin/env bash
# Runs every input under the given directories (the seed corpus, the regressions) once through
# a fuzz target: the libFuzzer build (fuzz preset) or the standalone driver (every other
# preset) — both run each file named on the command line and stop at the first crash. CTest's
# fuzz.<target>.inputs tests call this (label fuzz-regression).
#   replay.sh TARGET DIR...
set -euo pipefail
# Reports with file:line need a symbolizer that reads clang 19's DWARF 5 (Debian: llvm-19).
if [[ -z ${ASAN_SYMBOLIZER_PATH:-} && -x /usr/lib/llvm-19/bin/llvm-symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-19/bin/llvm-symbolizer
fi
target=$1
shift
inputs=()
for dir in "$@"; do
  [[ -d $dir ]] || continue
  while IFS= read -r -d '' file; do inputs+=("$file"); done < <(find "$dir" -type f ! -name '.*' -print0 | sort -z)
done
if ((${#inputs[@]} == 0)); then
  # With no file at all a libFuzzer binary would start fuzzing; an empty corpus is a mistake.
  echo "replay.sh: no inputs under $*" >&2
  exit 1
fi
echo "replay.sh: ${#inputs[@]} inputs through $(basename "$target")"
exec "$target" "${inputs[@]}"
