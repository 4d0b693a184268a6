#!/usr/bin/env bash
# with_control_plane.sh DOCUMENT CONFIG EXPECT_ARGS...: serves DOCUMENT as policies.toml from a
# real HTTP server (python3 -m http.server on a free loopback port) — or, when DOCUMENT is a
# directory, its files as /keys/<file> (a per-key control plane: a missing key is a 404) —
# writes CONFIG with every "@URL@" replaced by the document's URL and "@BASE@" by the keys' base
# URL into a fresh directory, and runs expect.sh with every "@CONFIG@" in EXPECT_ARGS replaced by
# that config's path. The server is stopped afterwards.
set -u
document=$1 config=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
server=
trap '[[ -n $server ]] && kill "$server" 2>/dev/null; rm -rf "$dir"' EXIT
mkdir "$dir/www"
if [[ -d $document ]]; then
  cp -r "$document" "$dir/www/keys"
else
  cp "$document" "$dir/www/policies.toml"
fi
# Port 0: the kernel picks a free one, and the server says which on its first line.
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$dir/www" > "$dir/server.log" 2>&1 &
server=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^Serving HTTP on 127.0.0.1 port \([0-9]*\).*/\1/p' "$dir/server.log")
  [[ -n $port ]] && break
  sleep 0.05
done
[[ -n $port ]] || { echo "with_control_plane.sh: the HTTP server did not start" >&2; cat "$dir/server.log" >&2; exit 1; }
url="http://127.0.0.1:$port/policies.toml"
sed -e "s|@URL@|$url|g" -e "s|@BASE@|http://127.0.0.1:$port/keys|g" "$config" > "$dir/recourse.toml"
args=()
for a in "$@"; do args+=("${a//@CONFIG@/$dir/recourse.toml}"); done
"$here/expect.sh" "${args[@]}"
