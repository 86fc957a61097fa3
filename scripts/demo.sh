#!/usr/bin/env bash
# The main job on the embedded default: installs dependencies, builds cnnfi and runs
# `cnnfi demo` (the shipped models on Fashion-MNIST). Extra arguments go to `cnnfi demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh cnnfi
exec build/cnnfi demo "$@"
