#!/usr/bin/env bash
# Every test: GoogleTest unit tests (also under ASan+UBSan), the API tests (pytest + boto3 + the
# aws CLI) against a real build/openvpc, then the data plane tests with real traffic.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== unit tests"
(cd build && ctest --output-on-failure -j2)

echo "== unit tests under AddressSanitizer and UBSan"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DOPENVPC_SANITIZE=ON >/dev/null
ninja -C build-asan unit_tests
(cd build-asan && ctest --output-on-failure -j2)

echo "== fuzzing: each libFuzzer harness for 60 s under ASan and UBSan"
scripts/fuzz.sh 60

echo "== API tests"
python3 scripts/run_pytest.py tests/api -q -p no:cacheprovider

echo "== data plane tests (real packets between instance namespaces; skipped without root)"
python3 scripts/run_pytest.py tests/dataplane -q -p no:cacheprovider
