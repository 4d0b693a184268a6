#!/usr/bin/env bash
# installed_examples.sh CMAKE BUILD_DIR SOURCE_DIR
# Installs this build to a temporary prefix and builds the examples against it with nothing
# but find_package(recourse), as a user of the package does:
#  - examples/custom-classifier: an out-of-tree classifier plugin, loaded by the installed
#    `recourse` tool (which must start without LD_LIBRARY_PATH: RUNPATH) and by orders_service,
#    a service on `import recourse.runtime;`;
#  - examples/reloading-service: a service that reloads its policy on a file change and on
#    SIGHUP, keeps the last good one on a bad edit, and stops on SIGTERM;
#  - examples/facade-service: recourse::install from --config or RECOURSE_CONFIG, then
#    recourse::run; the built-in policy (announced once) when there is no config.
set -euo pipefail
cmake=$1 build=$2 source=$3
work=$(mktemp -d /tmp/recourse-install.XXXXXX)
service_pid=
cleanup() {
  [[ -n $service_pid ]] && kill "$service_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$cmake" --install "$build" --prefix "$work/prefix" >/dev/null
tool=$work/prefix/bin/recourse
unset LD_LIBRARY_PATH
# Each tool's output is read in full before it is matched: under pipefail, `cmd | grep -q` fails
# when grep's early exit kills cmd with SIGPIPE, which made this check flaky.
grep -q 'RUNPATH.*\$ORIGIN/../lib' <<<"$(readelf -d "$tool")" || fail "the installed tool has no RUNPATH to its libraries"
grep -qE "librecourse_runtime\.so[^ ]* => $work/prefix/(bin/\.\./)?lib/" <<<"$(ldd "$tool")" || fail "the tool does not run on the installed librecourse_runtime.so"
# The API module names only std and recourse types: no toml++, spdlog, fmt or Boost in it.
modules=$work/prefix/include/recourse/modules/runtime
for dir in runtime config plugins; do [[ -d $modules/$dir ]] || fail "no installed module directory $modules/$dir"; done
test -f "$modules/runtime/recourse_runtime.cppm" || fail "recourse.runtime's interface is not installed"
if grep -nE '#include *<(toml|spdlog|fmt|boost)' "$work/prefix/include/recourse/modules/runtime/runtime/"*.cppm \
     "$work/prefix/include/recourse/modules/runtime/config/"*.cppm "$work/prefix/include/recourse/modules/runtime/plugins/"*.cppm; then
  fail "an installed module interface includes a third-party header"
fi

# The package config refuses, with the fix, what cannot import its modules — at configure time.
refused() {  # refused "<expected message>" <cmake args…>
  local expected=$1 out
  shift
  if out=$("$cmake" -S "$source/examples/reloading-service" -B "$work/refused" -G Ninja \
             -DCMAKE_PREFIX_PATH="$work/prefix" "$@" 2>&1); then
    fail "configured with $*"
  fi
  grep -q "$expected" <<<"$out" || { echo "$out"; fail "no clear message for $*"; }
  rm -rf "$work/refused"
}
refused "set(CMAKE_CXX_EXTENSIONS OFF)" -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_CXX_EXTENSIONS=ON
refused "CMAKE_CXX_STANDARD to 23" -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_CXX_STANDARD=20
if command -v g++ >/dev/null; then refused "need clang >= 19" -DCMAKE_CXX_COMPILER=g++; fi

# --- custom-classifier: the plugin, the tool loading it, the service loading it ---------------
# Both examples in one build, each its own project as a user writes it; the package is found
# once at the top, so the installed modules' BMIs are compiled once for both.
mkdir "$work/examples"
cat > "$work/examples/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.28)
project(recourse_examples LANGUAGES CXX)
find_package(recourse REQUIRED)
add_subdirectory("$source/examples/custom-classifier" example)
add_subdirectory("$source/examples/reloading-service" reloading)
add_subdirectory("$source/examples/facade-service" facade)
CMAKE
"$cmake" -S "$work/examples" -B "$work/build" -G Ninja \
  -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
start=$(date +%s)
"$cmake" --build "$work/build" >/dev/null
echo "examples built against the installed package in $(( $(date +%s) - start )) s"
ln -s "$work/build/example" "$work/example"
ln -s "$work/build/reloading" "$work/reloading"
ln -s "$work/build/facade" "$work/facade"
test -f "$work/example/plugins/librecourse-status_list.so" || fail "no plugin built"

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
grep -q "classifier status_list" "$work/plugins.txt" || fail "the tool did not list the plugin"
"$tool" test "$work/scenario.toml"

# orders.toml (configured by the example's build) retries 502 and 503, three attempts.
set +e
"$work/example/orders_service" "$work/example/orders.toml" 502,201 503,503,503 404 | tee "$work/orders.txt"
status=$?
set -e
[[ $status == 1 ]] || fail "orders_service exited $status, expected 1 (one call failed)"
grep -qx "plugin status-list 0.1.0" "$work/orders.txt" || fail "the service did not load the plugin"
grep -qx "call 1: HTTP 201 after 2 attempt(s)" "$work/orders.txt" || fail "502 was not retried"
grep -qx "call 2: failed, max_attempts after 3 attempt(s)" "$work/orders.txt" || fail "503 was not retried to the limit"
grep -qx "call 3: failed, http_404 after 1 attempt(s)" "$work/orders.txt" \
  || grep -qx "call 3: HTTP 404 after 1 attempt(s)" "$work/orders.txt" || fail "404 was retried"

# A broken config: the service refuses to start and says where.
printf '[policies."orders.*"]\nretry.max_attempts = "three"\n' > "$work/broken.toml"
set +e
"$work/example/orders_service" "$work/broken.toml" 201 2> "$work/broken.txt"
status=$?
set -e
[[ $status == 2 ]] || fail "a broken config started the service (exit $status)"
grep -q "broken.toml:2:[0-9]*: policies.\"orders.\*\".retry.max_attempts" "$work/broken.txt" || { cat "$work/broken.txt"; fail "the error is not located"; }

# --- facade-service -----------------------------------------------------------------------------
checkout=$work/facade/checkout_service
policy=$source/examples/facade-service/checkout.toml
# From RECOURSE_CONFIG: payments.Charge gets the defaults' 2 attempts, inventory.Reserve its 4.
RECOURSE_CONFIG=$policy "$checkout" 2 > "$work/facade.txt" 2> "$work/facade.err" && fail "checkout_service: a call that should fail did not"
cat "$work/facade.txt"
grep -qx "policy from $policy" "$work/facade.txt" || fail "the facade did not install RECOURSE_CONFIG's file"
grep -qx "payments.Charge: failed, max_attempts after 2 attempt(s)" "$work/facade.txt" || fail "the defaults did not apply"
grep -qx "inventory.Reserve: reserved after 3 attempt(s)" "$work/facade.txt" || fail "the key's policy did not apply to the library's call"
grep -qE "^second install: .*already installed from $policy at .*checkout_service.cpp:[0-9]+" "$work/facade.txt" \
  || fail "a second install did not name the first"
# --config wins over RECOURSE_CONFIG.
printf '[defaults]\nretry.max_attempts = 3\nretry.initial_backoff = "1ms"\n' > "$work/three.toml"
RECOURSE_CONFIG=$policy "$checkout" --config "$work/three.toml" 2 > "$work/facade.txt" || fail "checkout_service --config failed"
grep -qx "payments.Charge: HTTP 200 after 3 attempt(s)" "$work/facade.txt" || { cat "$work/facade.txt"; fail "--config was not used"; }
# A broken config stops it, located.
RECOURSE_CONFIG=$work/broken.toml "$checkout" 2 > /dev/null 2> "$work/facade.err" && fail "a broken config started the facade service"
grep -q "broken.toml:2:[0-9]*: policies.\"orders.\*\".retry.max_attempts" "$work/facade.err" || { cat "$work/facade.err"; fail "the facade's load error is not located"; }
# No config at all: the built-in policy (three attempts), and the facade says so once.
env -u RECOURSE_CONFIG "$checkout" 1 > "$work/facade.txt" 2> "$work/facade.err" || { cat "$work/facade.err"; fail "the built-in policy did not serve"; }
grep -qx "payments.Charge: HTTP 200 after 2 attempt(s)" "$work/facade.txt" || fail "the built-in policy did not retry"
grep -q "RECOURSE_CONFIG is not set" "$work/facade.err" || fail "no message about the missing config"
[[ $(grep -c "before recourse::install" "$work/facade.err") == 1 ]] || { cat "$work/facade.err"; fail "the built-in policy was not announced exactly once"; }

# --- reloading-service ----------------------------------------------------------------------------
mkdir "$work/etc"
cp "$source/examples/reloading-service/service.toml" "$work/etc/service.toml"
"$work/reloading/reloading_service" "$work/etc/service.toml" 20 > "$work/service.txt" 2>&1 &
service_pid=$!

# Waits (up to 20 s) for a line matching $1 to appear in the service's output.
await() {
  for _ in $(seq 200); do
    grep -qE "$1" "$work/service.txt" && return 0
    kill -0 "$service_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/service.txt"
  fail "the service never printed: $1"
}
await "^call [0-9]+: generation 1, 2 attempt\(s\), max_attempts$"

# Rewrites the config in place (the same inode, as `cat > file` or an editor saving in place
# does): the sed expression $1 applied to it.
edit_in_place() {
  sed "$1" "$work/etc/service.toml" > "$work/edited.toml"
  cat "$work/edited.toml" > "$work/etc/service.toml"
}
# Waits (up to 20 s) for a line matching $2 after line $1 of the service's output.
await_after() {
  for _ in $(seq 200); do
    grep -qE "$2" <<<"$(tail -n +"$(($1 + 1))" "$work/service.txt")" && return 0
    kill -0 "$service_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/service.txt"
  fail "the service never printed, after line $1: $2"
}

# An edit in place: the watch reloads it, and calls make four attempts.
inode=$(stat -c %i "$work/etc/service.toml")
edit_in_place 's/retry.max_attempts = 2/retry.max_attempts = 4/'
[[ $(stat -c %i "$work/etc/service.toml") == "$inode" ]] || fail "the edit was not in place"
await "^reload \(file changed\): accepted, generation 2$"
await "^call [0-9]+: generation 2, 4 attempt\(s\), max_attempts$"

# An editor's save: a new file renamed over the old one.
sed 's/retry.max_attempts = 4/retry.max_attempts = 3/' "$work/etc/service.toml" > "$work/etc/.service.toml.swp"
mv "$work/etc/.service.toml.swp" "$work/etc/service.toml"
await "^reload \(file changed\): accepted, generation 3$"
await "^call [0-9]+: generation 3, 3 attempt\(s\), max_attempts$"

# A bad edit is refused with its location; the service keeps its last good policy.
edit_in_place 's/retry.max_attempts = 3/retry.max_attempts = "many"/'
await "^reload \(file changed\): refused, still generation 3$"
await "service.toml:[0-9]+:[0-9]+: policies.\"inventory.\*\".retry.max_attempts"
refused_at=$(grep -n "refused, still generation 3" "$work/service.txt" | head -1 | cut -d: -f1)
# Calls after the refusal still run on generation 3, with its three attempts.
await_after "$refused_at" "^call [0-9]+: generation 3, 3 attempt\(s\), max_attempts$"
[[ $(tail -n +"$refused_at" "$work/service.txt" | grep -c "generation 4") == 0 ]] || fail "a refused config was applied"

# SIGHUP re-reads the file (fixed in the meantime).
edit_in_place 's/retry.max_attempts = "many"/retry.max_attempts = 5/'
await "^reload \(file changed\): accepted, generation 4$"
kill -HUP "$service_pid"
await "^reload \(SIGHUP\): accepted, generation 5$"
await "^call [0-9]+: generation 5, 5 attempt\(s\), max_attempts$"

kill -TERM "$service_pid"
wait "$service_pid" || fail "the service did not stop cleanly on SIGTERM"
service_pid=
grep -qx "stopped" <<<"$(tail -n 1 "$work/service.txt")" || fail "no clean stop"
echo "installed examples: ok"
