#!/usr/bin/env bash
# Renders the sample report in headless Chromium, as a user would open it: a screenshot and the
# DOM after rendering. Fails (never skips) when Chromium is missing: scripts/bootstrap.sh
# installs it. Checks that the page rendered — the PNG is large and has many colours, not a
# blank page — and that the DOM holds five <svg> charts that each draw lines or shapes.
#
#   render_in_chromium.sh REPORT_SAMPLE OUT_DIR
set -euo pipefail

sample=$1
out=$2
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z $chromium ]]; then
  echo "FAIL: chromium not found; run scripts/bootstrap.sh (Debian package chromium)" >&2
  exit 1
fi

rm -rf "$out"
mkdir -p "$out"
"$sample" "$out/report" >/dev/null

# Flags: no sandbox (root in CI), no GPU, and none of the background connections that a closed
# network refuses; a fresh profile each run.
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$out/profile")
url="file://$(cd "$out/report" && pwd)/report.html"

timeout 120 "$chromium" "${flags[@]}" --screenshot="$out/report.png" --window-size=1280,4000 "$url" \
  >"$out/screenshot.log" 2>&1 || { cat "$out/screenshot.log" >&2; echo "FAIL: chromium --screenshot failed" >&2; exit 1; }
timeout 120 "$chromium" "${flags[@]}" --dump-dom "$url" >"$out/dom.html" 2>"$out/dom.log" \
  || { cat "$out/dom.log" >&2; echo "FAIL: chromium --dump-dom failed" >&2; exit 1; }

fail=0
png_size=$(stat -c %s "$out/report.png" 2>/dev/null || echo 0)
if ((png_size < 20000)); then
  echo "FAIL: screenshot $out/report.png is $png_size bytes: blank or missing" >&2
  fail=1
fi
if [[ $(head -c 8 "$out/report.png" | od -An -tx1 | tr -d ' \n') != 89504e470d0a1a0a ]]; then
  echo "FAIL: $out/report.png is not a PNG" >&2
  fail=1
fi

# One chart per line, then check each: five, each with a title and drawing in its data group.
charts=$(tr -d '\n' <"$out/dom.html" | sed 's|<svg|\n<svg|g; s|</svg>|</svg>\n|g' | grep '^<svg' || true)
count=$(grep -c '^<svg' <<<"$charts" || true)
if ((count != 5)); then
  echo "FAIL: expected 5 <svg> charts in the rendered DOM, found $count" >&2
  fail=1
fi
n=0
while IFS= read -r chart; do
  n=$((n + 1))
  id=$(sed -n 's/^<svg[^>]* id="\([^"]*\)".*/\1/p' <<<"$chart")
  data=$(sed -n 's|.*<g class="data">\(.*\)</g><g class="notes">.*|\1|p' <<<"$chart")
  if ! grep -q '<title>[^<]' <<<"$chart"; then
    echo "FAIL: chart $n ($id) has no <title>" >&2
    fail=1
  fi
  if ! grep -Eq '<polyline [^>]*points="[0-9.]+,[0-9.]+ [0-9.]+,[0-9.]+|<rect [^>]*height="[1-9]' <<<"$data"; then
    echo "FAIL: chart $n ($id) draws no line or bar" >&2
    fail=1
  fi
done <<<"$charts"

if ((fail)); then exit 1; fi
echo "rendered: $out/report.png ($png_size bytes), $count charts with drawing content"
