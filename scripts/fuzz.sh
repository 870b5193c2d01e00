#!/usr/bin/env bash
# The libFuzzer harnesses (fuzz/*_fuzz.cc) under ASan and UBSan: configures and builds build-fuzz/
# with clang, then runs each harness for SECONDS (default 60) on its corpus: the committed seeds
# (fuzz/corpus/NAME/, read only) plus what earlier runs found (build-fuzz/corpus/NAME/, grown).
# Prints executions and coverage per harness; fails if any harness crashed, leaked, timed out or
# ran out of memory (the input that did it is left in build-fuzz/crashes/).
#   scripts/fuzz.sh [SECONDS] [NAME...]
#   FUZZ_RUNS=N    also stop a harness after N executions (long runs: FUZZ_RUNS=10000000 scripts/fuzz.sh 3600)
#   FUZZ_JOBS=N    ninja's parallelism for the build (default: ninja's); FUZZ_BUILD=0 skips the build
#   FUZZ_TARGETS   what the build makes (default: fuzzers; scripts/test.sh adds unit_tests, which
#                  then run under the same ASan/UBSan instrumentation)
#   FUZZ_CXX       the compiler (default clang++-16, else clang++)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(decode sigv4 http_request frame engine dhcp dhcp6 dns ndp imds geneve s3)

cxx=${FUZZ_CXX:-}
if [ -z "$cxx" ]; then
  if command -v clang++-16 >/dev/null; then cxx=clang++-16; else cxx=clang++; fi
fi
if [ "${FUZZ_BUILD:-1}" != 0 ]; then
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" -DOPENVPC_FUZZ=ON >/dev/null
  jobs=()
  [ -n "${FUZZ_JOBS:-}" ] && jobs=(-j "$FUZZ_JOBS")
  read -r -a targets <<<"${FUZZ_TARGETS:-fuzzers}"
  nice -n 19 ninja -C build-fuzz "${jobs[@]}" "${targets[@]}"
fi

max_len() {
  case "$1" in
    decode|http_request|imds|engine) echo 16384 ;;
    frame) echo 9100 ;;  # a 9,001-byte jumbo frame with Ethernet and the vnet header
    *) echo 4096 ;;
  esac
}

mkdir -p build-fuzz/crashes build-fuzz/logs
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# A smaller quarantine for freed memory (ASan's default is 256 MB) halves the cost of the
# allocation-heavy harnesses (decode, imds) and still catches a use right after a free.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16}
failed=()
printf '%-13s %12s %8s %8s %8s %10s  %s\n' harness executions exec/s cov ft corpus result
for name in "${names[@]}"; do
  work=build-fuzz/corpus/$name
  log=build-fuzz/logs/$name.log
  mkdir -p "$work"
  rc=0
  nice -n 19 "build-fuzz/fuzz/${name}_fuzz" -max_total_time="$secs" -runs="${FUZZ_RUNS:--1}" -max_len="$(max_len "$name")" -timeout=25 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$name-" \
    "$work" "fuzz/corpus/$name" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
  result=ok
  if [ "$rc" -ne 0 ]; then
    result="FAILED (exit $rc, see $log)"
    failed+=("$name")
  fi
  printf '%-13s %12s %8s %8s %8s %10s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing failed: ${failed[*]}" >&2
  for name in "${failed[@]}"; do grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "build-fuzz/logs/$name.log" | head -5 >&2; done
  exit 1
fi
