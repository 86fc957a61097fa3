#!/usr/bin/env bash
# The test command: installs dependencies (Debian), builds everything and runs every test,
# the ONNX conformance suite (ctest label "conformance") and the fuzz replays (label "fuzz")
# included, then fuzzes every target for a fixed number of runs (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd build
ctest --output-on-failure --parallel "${CNNFI_JOBS:-$(nproc)}" --timeout 900
cd ..
scripts/fuzz.sh
