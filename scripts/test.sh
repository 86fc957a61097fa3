#!/usr/bin/env bash
# The test command: installs dependencies (Debian), builds everything and runs every test,
# the ONNX conformance suite (ctest label "conformance") and the fuzz replays (label "fuzz")
# included, then fuzzes every target for a fixed number of runs (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
# ONNX Runtime for the tests that compare with it (tests/ort/package-lock.json); they skip without it.
if [ ! -f tests/ort/node_modules/.package-lock.json ] || [ tests/ort/package-lock.json -nt tests/ort/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/ort --no-audit --no-fund --loglevel=error || echo "warning: onnxruntime-node not installed: the ONNX Runtime tests will skip" >&2
fi
cd build
ctest --output-on-failure --parallel "${CNNFI_JOBS:-$(nproc)}" --timeout 900
cd ..
scripts/fuzz.sh
