#!/usr/bin/env bash
# jlink-runtime.sh: a trimmed Java runtime (jlink, with its own default CDS archive) holding the modules Signet
# uses, to measure "bundled runtime + start-up cache" against the JDK it was cut from (BENCHMARKS.md, start-up):
#   ops/bench/jlink-runtime.sh OUT_DIR [JDK_HOME, default: $JAVA_HOME]
#   ops/bench/startup.sh 5 jdk:.signet/install/current:on jlink:.signet/install/current:on:OUT_DIR
# The release's bin/signet takes it as JAVA_HOME like any JDK; the start-up cache is then made for it.
set -euo pipefail
out="${1:?usage: jlink-runtime.sh OUT_DIR [JDK_HOME]}"; jdk="${2:-${JAVA_HOME:?set JAVA_HOME or pass JDK_HOME}}"
# What the daemon and the CLI load (-Xlog:class+load), plus what the optional paths need: PKCS#11, the PostgreSQL
# driver (java.sql, naming, GSS), JFR for diagnostics, the HTTP client of the cache's training run.
modules=java.base,java.logging,java.management,java.naming,java.net.http,java.security.jgss,java.sql,java.xml
modules+=,jdk.charsets,jdk.crypto.cryptoki,jdk.crypto.ec,jdk.jfr,jdk.localedata,jdk.management,jdk.management.jfr
modules+=,jdk.naming.dns,jdk.net,jdk.security.auth,jdk.unsupported,jdk.zipfs
rm -rf "$out"
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --generate-cds-archive --output "$out"
du -sh "$out"
