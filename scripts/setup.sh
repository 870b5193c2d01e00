#!/usr/bin/env bash
# Installs what building and testing openvpc needs (Debian 12), then builds build/openvpc.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=(build-essential cmake ninja-build pkg-config libssl-dev libsqlite3-dev sqlite3 zlib1g-dev libboost-dev
           nlohmann-json3-dev libcli11-dev libgtest-dev libbenchmark-dev liburing-dev python3 python3-pytest wrk
           iproute2 busybox isc-dhcp-client iputils-ping dnsutils curl iperf3 netcat-openbsd nftables
           clang-16 libclang-rt-16-dev etcd-server haproxy openssl)
# (iproute2, busybox's udhcpc and ISC's dhclient -6 make the instances; ping, dig, curl, iperf3 and
# nc are what the data plane tests and benchmarks run inside them. clang 16 and its runtime, which
# holds libFuzzer, build the fuzzing harnesses: scripts/fuzz.sh. etcd is the shared store of
# `--store etcd://`: the tests start their own clusters of it on loopback ports. HAProxy is a
# baseline of bench/load_balancer_bench.py; nothing starts it as a service. The openssl tool makes
# the certificate of the HTTPS health check test's target.)
missing=()
for p in "${need_pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# The API tests drive the server with boto3 and the aws CLI (and use requests and cryptography);
# Debian's packages do when pip's are absent.
python3 -c 'import boto3' 2>/dev/null || missing+=(python3-boto3)
python3 -c 'import requests' 2>/dev/null || missing+=(python3-requests)
python3 -c 'import cryptography' 2>/dev/null || missing+=(python3-cryptography)
command -v aws >/dev/null 2>&1 || missing+=(awscli)
# The JS SDK v3 test (tests/js) runs on Node.js 18 or later with npm.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The AWS SDK for JavaScript v3, pinned by tests/js/package-lock.json (from the npm registry).
if [ ! -d tests/js/node_modules/@aws-sdk/client-sts ] || [ tests/js/package-lock.json -nt tests/js/node_modules ]; then
  npm ci --prefix tests/js --no-audit --no-fund --loglevel=error >/dev/null
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build
