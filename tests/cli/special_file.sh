#!/usr/bin/env bash
# special_file.sh KIND EXPECT_ARGS...: makes a file of KIND in a fresh directory and runs
# expect.sh with every "@FILE@" in EXPECT_ARGS replaced by its path. KIND: fifo (a named pipe
# nobody writes: reading it would block), unreadable (mode 000; when run as root, the command
# runs as nobody, for whom it is unreadable).
set -u
kind=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
file=$dir/recourse.toml
runner=()
case $kind in
  fifo) mkfifo "$file" ;;
  unreadable)
    printf '[defaults]\nretry.max_attempts = 2\n' > "$file"
    chmod 000 "$file"
    chmod 755 "$dir"
    if [[ $EUID == 0 ]]; then
      command -v setpriv >/dev/null || { echo "special_file.sh: setpriv not found (util-linux)" >&2; exit 1; }
      runner=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    fi
    ;;
  *) echo "special_file.sh: unknown kind $kind" >&2; exit 1 ;;
esac
args=()
for a in "$@"; do args+=("${a//@FILE@/$file}"); done
# expect.sh CODE REGEX COMMAND...: the runner goes before the command.
exec "$here/expect.sh" "${args[0]}" "${args[1]}" "${runner[@]}" "${args[@]:2}"
