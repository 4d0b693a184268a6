#!/usr/bin/env bash
# prometheus_e2e.sh WORKLOAD PLUGIN_DIR
# A real Prometheus (Debian's prometheus, on a free loopback port, scrape interval 1 s) scrapes
# the prometheus observer of a running service (metrics_workload): the exporter is not
# configured at start, is added by a reload, scraped, and removed by another reload — after
# which its port is free and Prometheus sees the target down. Values are read back through
# Prometheus' HTTP query API.
set -euo pipefail
workload=$1 plugin_dir=$2
work=$(mktemp -d /tmp/recourse-prometheus-e2e.XXXXXX)
prometheus_pid= workload_pid=
cleanup() {
  exec 3>&- 2>/dev/null || true
  [[ -n $workload_pid ]] && kill "$workload_pid" 2>/dev/null || true
  [[ -n $prometheus_pid ]] && kill "$prometheus_pid" 2>/dev/null && wait "$prometheus_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $work/prometheus.log ]] && tail -20 "$work/prometheus.log" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
exporter_port=$(free_port)
prometheus_port=$(free_port)
while [[ $prometheus_port == "$exporter_port" ]]; do prometheus_port=$(free_port); done

# --- the service, without an exporter ----------------------------------------------------------
config() {  # config with|without
  {
    printf '[plugins]\npaths = ["%s"]\nload = ["prometheus"]\n\n' "$plugin_dir"
    if [[ $1 == with ]]; then
      printf '[observers.metrics]\nplugin = "prometheus"\nlisten = "127.0.0.1:%s"\n\n' "$exporter_port"
    fi
    printf '[policies."e2e.*"]\nretry.max_attempts = 3\nretry.initial_backoff = "1ms"\nretry.classifier = "always"\n'
  } > "$work/service.toml.tmp"
  mv "$work/service.toml.tmp" "$work/service.toml"
}
config without
mkfifo "$work/commands"
"$workload" "$work/service.toml" < "$work/commands" > "$work/workload.out" 2>&1 &
workload_pid=$!
exec 3> "$work/commands"
# Sends a command and waits for its "done" (the n-th one).
done_count=0
send() {
  echo "$*" >&3
  done_count=$((done_count + 1))
  for _ in $(seq 300); do
    [[ $(grep -c '^done$' "$work/workload.out" || true) -ge $done_count ]] && return 0
    kill -0 "$workload_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/workload.out"
  fail "the workload did not finish: $*"
}
send succeed e2e.ok 3   # before the exporter exists: nobody counts these

# --- Prometheus ----------------------------------------------------------------------------------
cat > "$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: recourse
    static_configs:
      - targets: ["127.0.0.1:$exporter_port"]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prometheus_port" > "$work/prometheus.log" 2>&1 &
prometheus_pid=$!

# The value of an instant query (one series), or "none".
query() {
  python3 - "http://127.0.0.1:$prometheus_port/api/v1/query" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
url = sys.argv[1] + "?" + urllib.parse.urlencode({"query": sys.argv[2]})
try:
    body = json.load(urllib.request.urlopen(url, timeout=2))
except Exception:
    print("none"); sys.exit()
result = body.get("data", {}).get("result", [])
print(result[0]["value"][1] if len(result) == 1 else "none")
PY
}
# Waits (up to 60 s) until query $1 gives $2.
await() {
  local got
  for _ in $(seq 120); do
    got=$(query "$1")
    [[ $got == "$2" ]] && return 0
    kill -0 "$prometheus_pid" 2>/dev/null || fail "prometheus exited"
    sleep 0.5
  done
  fail "query $1 gave $got, expected $2"
}
await 'up{job="recourse"}' 0   # scraping, and nothing listens yet

# --- added by a reload ---------------------------------------------------------------------------
config with
send reload
grep -q '^reload accepted generation 2$' "$work/workload.out" || { cat "$work/workload.out"; fail "adding the exporter was refused"; }
send succeed e2e.ok 5
send fail e2e.down 2
await 'up{job="recourse"}' 1
await 'recourse_calls_total{key="e2e.ok",outcome="success",reason="success"}' 5
await 'recourse_calls_total{key="e2e.down",outcome="failure",reason="max_attempts"}' 2
await 'sum(recourse_attempts_total{key="e2e.down"})' 6
await 'recourse_call_duration_seconds_count{key="e2e.ok"}' 5
await 'recourse_call_duration_seconds_bucket{key="e2e.ok",le="+Inf"}' 5
await 'recourse_config_generation' 2
echo "prometheus scraped the exporter added by a reload"

# --- removed by a reload -------------------------------------------------------------------------
config without
send reload
grep -q '^reload accepted generation 3$' "$work/workload.out" || fail "removing the exporter was refused"
send succeed e2e.ok 1   # the last call of the old generation has ended: it is reclaimed
python3 - "$exporter_port" <<'PY' || fail "the exporter's port is still open after it was removed"
import socket, sys
s = socket.socket()
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)
PY
await 'up{job="recourse"}' 0
echo "the exporter removed by a reload freed its port; prometheus sees the target down"
echo quit >&3
