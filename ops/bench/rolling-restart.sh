#!/usr/bin/env bash
# rolling-restart.sh: backend requests during a rolling restart of three delegated-mode replicas under steady load,
# without and with a wrapping key (BENCHMARKS.md, "Rolling restart in delegated mode").
# usage: ops/bench/rolling-restart.sh
# Three `signet serve` processes (PostgreSQL store, KMS on a local moto_server behind a proxy that counts requests by
# operation), one token request at a time round robin; each replica is stopped (SIGTERM) and started again in turn,
# then the load runs as long again (at most 30 s). Prints one line per case and writes ops/target/rolling-restart.txt.
# Needs postgresql and moto_server (as the tests do).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export PATH="$JAVA_HOME/bin:$PATH"
./mvnw -B -q -o verify -pl ops -am -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest='DelegatedReplicasProcessTest#rollingRestartBenchmark' -Dgroups=benchmark -Dsignet.test.excluded-groups=none \
  -Dsignet.bench.out="$root/ops/target/rolling-restart.txt" >/dev/null
cat "$root/ops/target/rolling-restart.txt"
