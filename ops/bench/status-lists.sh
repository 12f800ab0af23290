#!/usr/bin/env bash
# status-lists.sh: the status list and revocation figures of BENCHMARKS.md, in process (StatusListBench).
# usage: ops/bench/status-lists.sh [LIVE_TOKENS, default 10000000]
# Prints: the status claim's cost on single-token signing (A/B interleaved, ratio), heap per live token, the bytes
# of every served list token with 1 and with 3 % revoked, and the time (wall and CPU) to revoke a task holding 1 %
# of the live tokens. Needs about 1.5 GB of heap for 10 million; takes ~1-2 min on an idle machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export PATH="$JAVA_HOME/bin:$PATH"
./mvnw -B -q -o test-compile -pl issuance -am
mkdir -p "$root/target"
./mvnw -B -q -o dependency:build-classpath -pl issuance -Dmdep.outputFile="$root/target/status-bench.cp" -Dmdep.includeScope=test
# This checkout's classes first: ~/.m2 may hold stale dev.signet SNAPSHOT jars.
cp="issuance/target/test-classes:issuance/target/classes"
for m in revocation software spi rotation audit verifier grammar; do cp="$cp:$m/target/classes"; done
exec java -Xmx1500m -cp "$cp:$(cat "$root/target/status-bench.cp")" dev.signet.issuance.StatusListBench "${1:-10000000}"
