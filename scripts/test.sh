#!/usr/bin/env bash
# Every test: GoogleTest unit tests (also under ASan+UBSan), the API tests (pytest + boto3 + the
# aws CLI) against a real build/openvpc, then the data plane tests with real traffic.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== unit tests"
(cd build && ctest --output-on-failure -j2)

# One clang build with ASan and UBSan (build-fuzz/) serves the unit tests and the fuzzers: two
# instrumented builds of everything would double the longest part of a CI run.
echo "== fuzzing: each libFuzzer harness for 60 s under ASan and UBSan"
FUZZ_TARGETS="fuzzers unit_tests" scripts/fuzz.sh 60

echo "== unit tests under AddressSanitizer and UBSan (clang, the fuzzers' build)"
(cd build-fuzz && ctest --output-on-failure -j2)

echo "== API tests"
python3 scripts/run_pytest.py tests/api -q -p no:cacheprovider

# The same suite against a server whose state lives in a 3-member etcd cluster (--store etcd://):
# the shared store must change nothing a client sees. (test_distributed.py ran above already.)
echo "== API tests with the state in etcd"
OPENVPC_TEST_STORE=etcd python3 scripts/run_pytest.py tests/api -q -p no:cacheprovider \
  --deselect tests/api/test_distributed.py

echo "== data plane tests (real packets between instance namespaces; skipped without root)"
python3 scripts/run_pytest.py tests/dataplane -q -p no:cacheprovider
