#!/usr/bin/env bash
# Configures and builds cnnfi (Release, Ninja, ccache when present) into build/.
# Usage: scripts/build.sh [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${CNNFI_JOBS:-$(nproc)}
# The report's front-end libraries, exactly as pinned by report/package-lock.json.
if [ ! -f report/node_modules/.package-lock.json ] || [ report/package-lock.json -nt report/node_modules/.package-lock.json ]; then
  npm ci --prefix report --no-audit --no-fund --loglevel=error
fi
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build --parallel "$jobs" ${1:+--target "$@"}
