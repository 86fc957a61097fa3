#!/usr/bin/env bash
# Installs every build, test and run dependency of cnnfi from Debian (bookworm).
# Idempotent: packages already present are skipped by apt. Works as root or through sudo.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev            # PyTorch 1.13 C++ (CPU, oneDNN): the executor and training
  libonnx-dev             # ONNX protobuf I/O, checker, shape inference, version converter
  libprotobuf-dev protobuf-compiler
  libsqlite3-dev libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev libeigen3-dev libboost-math-dev
  libopenmpi-dev openmpi-bin zlib1g-dev libpng-dev libjpeg-dev libssl-dev
  libgoogle-perftools-dev # tcmalloc_minimal: the executables' allocator (campaigns 1.2-2x faster than glibc's)
  dataset-fashion-mnist   # Fashion-MNIST IDX files under /usr/share/datasets/fashion-mnist
  libonnx-testdata        # official ONNX node test cases (conformance suite)
  chromium                # headless browser: the report tests render the HTML report
  poppler-utils           # pdftotext/pdfinfo: the report test reads back the text of cnnfi report --pdf
  clang libfuzzer-14-dev libclang-rt-14-dev   # fuzz targets (scripts/fuzz.sh: libFuzzer, ASan, UBSan)
  python3-numpy python3-torch python3-torchvision   # test reference: torchvision CNNs exported with torch.onnx (tests/python)
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup.sh: not root and no sudo; install these packages by hand: ${PACKAGES[*]}" >&2
    exit 1
  fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# npm installs the report's pinned front-end libraries at build time (report/package-lock.json).
# A Node.js that already ships npm (e.g. NodeSource's) is used as it is.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup.sh: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
