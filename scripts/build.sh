#!/usr/bin/env bash
# Configures and builds cnnfi (Release, Ninja, ccache when present) into build/.
# Usage: scripts/build.sh [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${CNNFI_JOBS:-$(nproc)}
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build --parallel "$jobs" ${1:+--target "$@"}
