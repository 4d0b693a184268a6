#!/usr/bin/env bash
# out_of_tree_plugin.sh CMAKE BUILD_DIR SOURCE_DIR RECOURSE_TOOL
# Installs this build to a temporary prefix, builds examples/custom-classifier against it with
# find_package(recourse), and has the host load the result through TOML — the path an
# out-of-tree plugin author takes.
set -euo pipefail
cmake=$1 build=$2 source=$3 tool=$4
work=$(mktemp -d /tmp/recourse-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

"$cmake" --install "$build" --prefix "$work/prefix" >/dev/null
"$cmake" -S "$source/examples/custom-classifier" -B "$work/example" -G Ninja \
  -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
"$cmake" --build "$work/example" >/dev/null
test -f "$work/example/plugins/librecourse-status_list.so"

cat > "$work/config.toml" <<TOML
[plugins]
paths = ["$work/example/plugins"]

[classifiers.orders]
plugin = "status_list"
retry_on = [502]

[defaults]
retry.classifier = "orders"
TOML
cat "$work/config.toml" - > "$work/scenario.toml" <<TOML

[[calls]]
key = "orders.Create"
script = [{ http = 502 }, { http = 201 }]
[calls.expect]
outcome = "success"
invocations = 2

[[calls]]
key = "orders.Create"
script = [{ http = 503 }]
[calls.expect]
reason = "http_503"
invocations = 1
TOML
"$tool" plugins "$work/config.toml" | tee "$work/plugins.txt"
grep -q "classifier status_list" "$work/plugins.txt"
"$tool" test "$work/scenario.toml"
