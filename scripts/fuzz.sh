#!/usr/bin/env bash
# Builds the fuzz targets (fuzz/) with clang, libFuzzer and the address and undefined-behaviour
# sanitizers into build-fuzz/, then runs each on its corpus and its regressions for
# CNNFI_FUZZ_RUNS inputs (default 20000) from seed CNNFI_FUZZ_SEED (default 1): a fixed number of
# runs from a fixed seed is the same fuzzing on any machine, so CI sees what was tested here.
# CNNFI_FUZZ_SECONDS (instead of runs) and another seed fuzz longer and elsewhere. A finding stops
# the script with the input that caused it under build-fuzz/findings/; add that file to
# fuzz/regressions/<target>/ once fixed.
# Usage: scripts/fuzz.sh [target...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${CNNFI_FUZZ_RUNS:-20000}
seed=${CNNFI_FUZZ_SEED:-1}
limit="-runs=$runs"
[ -z "${CNNFI_FUZZ_SECONDS:-}" ] || limit="-max_total_time=$CNNFI_FUZZ_SECONDS"
jobs=${CNNFI_JOBS:-$(nproc)}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(onnx_import campaign_config fault_csv data_readers store_reader store_merge fit_formula)
if [ ! -f build-fuzz/build.ninja ]; then
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
        -DCNNFI_FUZZ=ON
fi
cmake --build build-fuzz --parallel "$jobs" --target $(printf 'fuzz_%s ' "${targets[@]}")
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p build-fuzz/findings
for t in "${targets[@]}"; do
  # The fixed-run mode starts from the repository's corpus only, as on a fresh machine.
  [ -n "${CNNFI_FUZZ_SECONDS:-}" ] || rm -rf "build-fuzz/corpus/$t"
  mkdir -p "build-fuzz/corpus/$t"
  echo "fuzz: $t ($limit, seed $seed)"
  build-fuzz/fuzz/fuzz_$t "$limit" -seed="$seed" -rss_limit_mb=6144 -timeout=60 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/findings/$t-" "build-fuzz/corpus/$t" "fuzz/corpus/$t" "fuzz/regressions/$t" \
    2>&1 | grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|fuzz finding|.*runtime error)" || true
  if compgen -G "build-fuzz/findings/$t-*" > /dev/null; then
    echo "fuzz: $t found an input that crashes or throws an unnamed error:" >&2
    ls build-fuzz/findings/$t-* >&2
    exit 1
  fi
done
echo "fuzz: no finding"
