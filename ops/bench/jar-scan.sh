#!/usr/bin/env bash
# jar-scan.sh: what the first service lookup costs the thread that makes it. Any ClassLoader.getResources on the
# application class loader (the JDK's LoggerFinder lookup from Helidon's LogConfig is the daemon's first, on main)
# opens every jar on the class path and reads its central directory and manifest; later lookups reuse them.
# A fresh JVM per run (JDK class data sharing, no Signet cache) makes one lookup and prints that thread's CPU and
# wall ms, for three class paths of the release interleaved run by run: all its jars in bin/signet's order; without
# the AWS SDK, PostgreSQL and protobuf jars (what a software-backend-only class path would drop); signet.jar alone
# (the fixed part).
# usage: ops/bench/jar-scan.sh [RUNS, default 6] [RELEASE_DIR, default this checkout's .signet/install/current]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
runs="${1:-6}"; rel="$(readlink -f "${2:-$here/../../.signet/install/current}")"
java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
"${java%/java}/javac" -d "$work" "$here/JarScan.java"
L="$rel/lib"; all="$L/signet.jar"; some="$L/signet.jar"
for j in "$L"/*.jar; do
  [ "$j" = "$L/signet.jar" ] && continue
  all+=":$j"
  case "${j##*/}" in
    kms-*|sdk-core-*|regions-*|protobuf-*|postgresql-*|opentelemetry-proto-*|httpc*|third-party-*|utils-2*|aws-*|auth-2*|http-*|json-utils-*|endpoints-spi-*|metrics-spi-*|profiles-*|retries*|identity-spi-*|checksums*|netty*|apache-client-*|url-connection-*|arns-*|annotations-2*|crt-core-*|protocol-core-*) ;;
    *) some+=":$j" ;;
  esac
done
entries() { tr : '\n' <<<"$1" | while read -r j; do unzip -Z1 "$j" 2>/dev/null | wc -l; done | awk '{s+=$1} END {print NR " jars, " s " entries"}'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "-")}'; }
names=(all no-aws-pg-protobuf signet.jar); paths=("$all" "$some" "$L/signet.jar")
for ((r = 0; r < runs; r++)); do
  for i in 0 1 2; do
    read -r _ _ _ cpu _ _ wall _ <<<"$("$java" -cp "$work:${paths[$i]}" JarScan)"
    echo "$cpu" >>"$work/cpu.$i"; echo "$wall" >>"$work/wall.$i"
  done
done
echo "first resource lookup, $runs runs each, load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in 0 1 2; do
  printf '%-20s %-26s CPU ms median %6s (%s)   wall ms median %6s\n' "${names[$i]}" "$(entries "${paths[$i]}")" \
    "$(median <"$work/cpu.$i")" "$(sort -n "$work/cpu.$i" | tr '\n' ' ' | sed 's/ $//')" "$(median <"$work/wall.$i")"
done
