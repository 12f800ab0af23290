#!/usr/bin/env bash
# exchange.sh (ops/bin/bench exchange [SECONDS] [signet.KEY=VALUE ...]): token exchange (RFC 8693) over HTTP
# against `signet dev --mode delegated` (ES256 subkeys, software master, durable audit unless told otherwise),
# next to the raw crypto it cannot avoid, measured in the same run (issue 15):
#   1. JMH ExchangeBench, 1 thread, verification=jdk and =openssl: rawCrypto (three P-256 verifications + one ES256
#      signature: the yardstick; jdk is the issue's) and exchange (the whole Exchange in process, audit off); then
#      both again per thread CPU-second (ExchangeCpu, openssl), which load does not inflate as it does JMH's
#      per-wall-clock-second figures;
#   2. 32 bound parent tokens minted over HTTP; during each phase, requests streamed by ExchangeRequests (a fresh
#      DPoP proof and actor token each: their jtis are single-use; dated when made) through a FIFO per wrk thread;
#   3. warm-up phases of 10 s (up to 5) until the JIT compiler threads take under 5% of the daemon's CPU;
#   4. wrk (exchange.lua) at saturation, 32 connections: exchanges/s, the daemon's CPU (utime+stime) -> exchanges
#      per server CPU-second (and how much of it the JIT still took), and its ratio to rawCrypto ops/s of both
#      yardsticks (target >= 0.5);
#   5. at about half of that rate: wrk paced over the same 32 connections (each connection waits DELAY ms after its
#      answer: arrivals follow the answers), then evenly spaced arrivals (ops/bench/paced.c -l, built with gcc: open
#      loop, latency from each request's due time, requests made before the phase) over 64 connections: p50/p99/max
#      (target p99 < 5 ms), the generator's send lag, the daemon's stop-the-world pauses in the phase (safepoint
#      logging switched on with jcmd VM.log) and how many of the slowest 1% overlapped one; then GET JWKS evenly
#      spaced at the same rate: the floor.
# About 4 minutes at 10 s on an idle machine. SIGNET_BENCH_JMH=off skips step 1; SIGNET_BENCH_PORT moves the ports. Load generator and daemon share the cores: the per-CPU-second figure
# and the ratios are what a loaded machine can still compare.
# ops/bin/bench exchange-profile [SECONDS, default 20] [signet.KEY=VALUE ...]: no JMH and no paced phase; after the
#   warm-up, one saturation phase with the daemon's CPU per exchange by thread kind (kernel accounting, no profiler),
#   then one under JFR CPU-time sampling summarised by step of the exchange (ops/bench/exchange-profile.awk) and its
#   allocation by site. The recording stays in ops/bench/target/exchange-profile/.
# ops/bin/bench exchange-jvm [SECONDS] [ROUNDS, default 2] [OPTIONS ...] (--jvm): one daemon per OPTIONS word
#   (comma-separated: JVM options, and signet.KEY=VALUE settings; default G1, Serial, generational ZGC), all up at
#   once and warmed as above, then ROUNDS rounds taking the daemons in turn: saturation (exchanges/s, server CPU and
#   the GC + VM threads' CPU per exchange) and evenly spaced at half of the first daemon's first saturation, the same
#   rate for all (p50/p99/max, send lag, stop-the-world pauses from -Xlog:safepoint and how many of the slowest 1%
#   overlapped one). A/B on a loaded machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
profile=""; if [ "${1:-}" = --profile ]; then profile=1; shift; fi
jvmab=""; if [ "${1:-}" = --jvm ]; then jvmab=1; profile=""; shift; fi
secs="${1:-$([ -n "$profile" ] && echo 20 || echo 10)}"; shift || true
rounds=2; if [ -n "$jvmab" ]; then rounds="${1:-2}"; shift || true; fi
work="$(mktemp -d)"; pid=""; daemons=()
trap 'for p in "${daemons[@]}"; do kill "$p" 2>/dev/null || true; done; [ -z "${gen:-}" ] || kill "$gen" 2>/dev/null || true
  wait 2>/dev/null || true; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
"$root/ops/bin/signet" --version >/dev/null   # builds and installs the release when the sources changed
source <(sed -n '/^java_major()/,/^}/p;/^find_jdk()/,/^}/p' "$root/ops/bin/signet")
min_java=21; JAVA_HOME="$(find_jdk)"; java="$JAVA_HOME/bin/java"
(cd "$root" && JAVA_HOME="$JAVA_HOME" ./mvnw -B -q -pl ops/bench -am package -DskipTests >/dev/null)
cp="$root/ops/bench/target/classes:$root/ops/bench/target/lib/*"
# SIGNET_BENCH_PORT: another port (the admin port is 1000 above it) when another bench runs on this machine
hz=$(getconf CLK_TCK); port="${SIGNET_BENCH_PORT:-18520}"; admin=$((port + 1000)); minter="bench-minter-$RANDOM$RANDOM"; conns=32
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $("$java" -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"

raw=0; raw_ossl=0; raw_cpu=0
if [ -z "$profile$jvmab" ] && [ "${SIGNET_BENCH_JMH:-on}" != off ]; then   # SIGNET_BENCH_JMH=off: the HTTP phases only
echo "== raw crypto and in-process exchange (JMH ExchangeBench, 1 thread, same run; verification: who checks ES256)"
"$java" -cp "$cp" org.openjdk.jmh.Main 'ExchangeBench\.(exchange|rawCrypto)$' -jvmArgsAppend --enable-native-access=ALL-UNNAMED \
  -f 1 -wi 1 -w 3s -i 2 -r "$(( (secs + 1) / 2 ))s" -t 1 -tu s -bm thrpt >"$work/jmh.log" 2>&1 || true
grep -q '^Benchmark' "$work/jmh.log" || { echo "bench: JMH failed:" >&2; tail -20 "$work/jmh.log" >&2; exit 1; }
sed -n '/^Benchmark/,$p' "$work/jmh.log"
# score BENCHMARK VERIFICATION: ops/s from JMH's table (Benchmark, (verification), Mode, Cnt, Score, ...)
score() { awk -v b="ExchangeBench.$1" -v p="$2" '$1 == b && $2 == p {print int($5)}' "$work/jmh.log"; }
raw=$(score rawCrypto jdk); raw_ossl=$(score rawCrypto openssl)
echo "   in process: exchange/rawCrypto $(awk -v a="$(score exchange jdk)" -v b="$raw" 'BEGIN{printf "%.2f", a/b}') with the JDK's" \
  "verification, $(awk -v a="$(score exchange openssl)" -v b="$raw_ossl" 'BEGIN{printf "%.2f", a/b}') with OpenSSL's;" \
  "exchange openssl/jdk $(awk -v a="$(score exchange openssl)" -v b="$(score exchange jdk)" 'BEGIN{printf "%.2f", a/b}')"
echo "== the same per thread CPU-second, interleaved (ExchangeCpu, OpenSSL verification, $((2 * secs)) s, the first half warm-up):"
cpuline=$("$java" --enable-native-access=ALL-UNNAMED -cp "$cp" dev.signet.bench.ExchangeCpu "$((2 * secs))" 2>/dev/null | grep '^cpu:' || true)
echo "   $cpuline"
raw_cpu=$(sed -E 's/.*rawCrypto=([0-9]+).*/\1/' <<<"$cpuline")
fi

# start_daemon INDEX [signet.KEY=VALUE ...]: port base+INDEX (admin 1000 above), JVM options from SIGNET_JAVA_OPTS
# as the caller sets them; 32 bound parent tokens minted into $work/parents.INDEX; sets pid_INDEX
start_daemon() {
  local i="$1" p=$((port + $1)) a=$((admin + $1)) sets=() kv; shift
  for kv in "$@"; do sets+=(--set "$kv"); done
  if curl -s -o /dev/null "http://127.0.0.1:$a/observe/health" || curl -s -o /dev/null "http://127.0.0.1:$p/"; then
    echo "bench: port $p or $a is taken (another bench?); set SIGNET_BENCH_PORT to a free port" >&2; exit 1
  fi
  SIGNET_DEV_MINTER_TOKEN="$minter" SIGNET_DEV_ADMIN_TOKEN="bench-admin-$RANDOM" \
    "$root/.signet/install/current/bin/signet" dev --mode delegated --port $p --admin-port $a \
    --data-dir "$work/data$i" "${sets[@]}" >"$work/log$i" 2>&1 &
  daemons+=($!); printf -v "pid_$i" '%s' "$!"
  until curl -sf -o /dev/null "http://127.0.0.1:$a/observe/health"; do
    kill -0 "$!" 2>/dev/null || { echo "bench: the daemon died:" >&2; tail -30 "$work/log$i" >&2; exit 1; }
    sleep 0.1
  done
  "$java" -cp "$cp" dev.signet.bench.ExchangeRequests parents "http://127.0.0.1:$p" "$minter" 32 "$work/parents$i"
}
# use INDEX: the daemon the functions below measure
use() { local v="pid_$1"; pid="${!v}"; dport=$((port + $1)); issuer="http://localhost:$dport"; parents="$work/parents$1"; dlog="$work/log$1"; ddata="$work/data$1"; }
if [ -z "$jvmab" ]; then
  start_daemon 0 "$@"; use 0
  echo "== daemon: signet dev --mode delegated${*:+ $*} (issuer $issuer); $(grep -o 'token exchange: .*' "$dlog" | head -1)"
fi

cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
jit() { # the daemon's JIT compiler threads' utime+stime
  local t c s=0
  for t in /proc/"$pid"/task/*; do
    c="$(cat "$t/comm" 2>/dev/null)" || continue
    case "$c" in "C1 Compi"*|"C2 Compi"*)
      s=$(( s + $(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13} END {if (NR == 0) print 0}') )) ;;
    esac
  done
  echo "$s"
}
gc_cpu() { # the daemon's collector and VM threads' utime+stime (G1, Serial/Parallel, ZGC thread names)
  local t c s=0
  for t in /proc/"$pid"/task/*; do
    c="$(cat "$t/comm" 2>/dev/null)" || continue
    case "$c" in "GC Thread"*|G1*|Z*|"VM Thread"|"VM Periodic"*)
      s=$(( s + $(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13} END {if (NR == 0) print 0}') )) ;;
    esac
  done
  echo "$s"
}
# The requests stream through one FIFO per wrk thread from ExchangeRequests, each dated when it is made, so none
# is older than the pipe holds (a few seconds) however loaded the machine: pre-made files outlasted the proofs'
# 60 s window there. Signing them costs the generator CPU beside wrk's, never the daemon's.
mkfifo "$work/req.0" "$work/req.1"
gen=""
# phase NAME SECONDS CONNECTIONS [DELAY_MS] -> the exchange.lua summary line
phase() {
  "$java" --enable-native-access=ALL-UNNAMED -cp "$cp" dev.signet.bench.ExchangeRequests stream "$issuer" \
    "$parents" "$work/req" 2 >"$work/requests.log" 2>&1 &
  gen=$!
  SIGNET_EXCHANGES="$work/req" SIGNET_DELAY_MS="${4:-0}" wrk -t2 -c"$3" -d"$2s" -s "$root/ops/bench/exchange.lua" \
    "http://127.0.0.1:$dport" | grep '^wrk:'
  kill "$gen" 2>/dev/null || true; wait "$gen" 2>/dev/null || true; gen=""
}
# The evenly spaced phase (ops/bench/paced.c, -l): RATE x SECONDS requests made before it into a file (two threads),
# so the generator signs nothing while the load runs (the proofs' 60 s window allows it: making them takes
# seconds), sent over $even_conns connections, enough that a connection is free when its next request is due; then
# the floor, GET JWKS at the same rate. Prints p50/p99/max, the send lag and how bunched the sends were.
even_conns=64
[ -x "$work/paced" ] || gcc -O2 -o "$work/paced" "$root/ops/bench/paced.c"
# lat LOG STATUS: count p50 p99 max (ms) of the answers with STATUS, and how many others
even_lat() { awk -v want="$2" -F'\t' '$2 == want {print $3 / 1000; next} {o++} END {print "others", o + 0}' "$1" | sort -n \
  | awk '/^others/ {o = $2; next} {a[++n] = $1} END {if (n == 0) {printf "n=0 (other statuses %d)", o; exit}
      printf "n=%d p50=%.2fms p99=%.2fms max=%.1fms (other statuses %d)", n, a[int(n*0.5)+1], a[int(n*0.99)+1], a[n], o}'; }
even_bursts() { awk -F'\t' 'NR == 1 {b0 = int($1 / 1000)} {ms = int(($1 + $4) / 1000) - b0; n[ms]++; if (ms < lo) lo = ms; if (ms > hi) hi = ms; t++}
  END {m = t / (hi - lo + 1); for (k in n) {if (n[k] > x) x = n[k]; if (n[k] > 4 * m) e += n[k]}
       printf "most sends in 1 ms %d (mean %.1f)", x, m}' "$1"; }
# stw_overlap EVENLOG SAFEPOINTLOG: the stop-the-world pauses (-Xlog:safepoint with timemillis: each line logged as
# the pause ends, with its Total) inside the phase, and how many of the slowest 1% of requests overlapped one: whether
# the collector (or another safepoint) makes the p99
stw_overlap() {
  [ -s "$2" ] || { echo "no safepoint log"; return 0; }
  local cut
  cut=$(awk -F'\t' '$2 == 200 {print $3}' "$1" | sort -n | awk '{a[NR] = $1} END {k = int(NR / 100); if (k < 1) k = 1; print (NR ? a[NR - k + 1] : 0)}')
  awk -F'\t' -v cut="$cut" 'FNR == NR { if (match($0, /Total: [0-9]+ ns/) && substr($0, 1, 1) == "[") {
        t = substr($0, RSTART + 7, RLENGTH - 10) / 1000; e = substr($0, 2, index($0, "ms]") - 2) * 1000
        n++; pe[n] = e; ps[n] = e - t; pt[n] = t }; next }
    $2 == 200 { if (!k || $1 < lo) lo = $1; if ($1 + $3 > hi) hi = $1 + $3; k++
      if ($3 >= cut) { slow++; for (i = 1; i <= n; i++) if (ps[i] <= $1 + $3 && pe[i] >= $1) { hit++; break } } }
    END { for (i = 1; i <= n; i++) if (pe[i] >= lo && ps[i] <= hi) { c++; tt += pt[i]; if (pt[i] > m) m = pt[i] }
      printf "stop-the-world in the phase: %d pauses, %.1f ms in all, longest %.2f ms; of the slowest 1%% (%d, >= %.2f ms) %d overlapped one",
        c, tt / 1000, m / 1000, slow, cut / 1000, hit + 0 }' "$2" "$1"
}
even_exchanges() { # RATE SECONDS [LABEL [nofloor]]
  local rate="$1" s="$2" n=$(( $1 * $2 )) t0 made out
  t0=$(date +%s%N)
  "$java" --enable-native-access=ALL-UNNAMED -cp "$cp" dev.signet.bench.ExchangeRequests stream "$issuer" \
    "$parents" "$work/even" 2 "$n" 2>>"$work/requests.log"
  cat "$work/even.0" "$work/even.1" >"$work/even.req"; rm -f "$work/even.0" "$work/even.1"
  made=$(( ($(date +%s%N) - t0) / 1000000 ))
  out=$("$work/paced" -l "$work/even.req" DPoP 127.0.0.1 $dport /v1/token-exchange "$rate" "$s" $even_conns \
    "$work/even.log" 'Content-Type: application/x-www-form-urlencoded' || true)
  echo "== evenly spaced${3:+ ($3)} (ops/bench/paced.c, $rate/s, $even_conns connections, $s s; the $n requests made in $made ms before):" \
    "$(even_lat "$work/even.log" 200) (target p99 < 5 ms)"
  echo "   ${out#paced: }; $(even_bursts "$work/even.log")"
  [ -z "${stw_log:-}" ] || echo "   $(stw_overlap "$work/even.log" "$stw_log")"
  rm -f "$work/even.req"
  [ -z "${4:-}" ] || return 0
  out=$("$work/paced" 127.0.0.1 $dport /.well-known/jwks.json "$rate" "$s" $even_conns "$work/floor.log" || true)
  echo "   the floor, GET JWKS evenly spaced at the same rate: $(even_lat "$work/floor.log" 200); send lag ${out#*send lag }"
}
rate_of() { sed -E 's/.*requests\/s=([0-9]+).*/\1/' <<<"$1"; }
ok_of() { sed -E 's/.*requests=([0-9]+) non2xx=([0-9]+).*/\1 - \2/' <<<"$1"; }
# Warm-up until the JIT has compiled the exchange path: C2 spends several CPU-seconds on it, which a 10 s warm-up on
# a loaded (or even idle) machine left inside the measured phase (a third of its CPU at load 7). Up to 5 phases of
# 10 s, until the compiler threads took under 5% of the daemon's CPU in the last one.
warm_up() {
  local w c0 c1 j0 j1 out share
  for w in 1 2 3 4 5; do
    c0=$(cpu); j0=$(jit); out=$(phase warm 10 $conns); c1=$(cpu); j1=$(jit)
    share=$(awk -v j=$((j1 - j0)) -v c=$((c1 - c0)) 'BEGIN{printf "%.0f", (c > 0 ? 100 * j / c : 100)}')
    echo "== warm-up $w (10 s, $conns connections): $out; JIT $share% of the daemon's CPU"
    warm_rate=$(( ($(ok_of "$out")) / 10 ))
    [ "$warm_rate" -gt 0 ] && [ "$share" -ge 5 ] || break
  done
  if [ "$warm_rate" -le 0 ]; then
    echo "bench: no exchange succeeded; why the daemon refused them (its audit log):" >&2
    cat "$ddata"/audit/*/*.jsonl | grep -o '"type":"exchange_refusal".*' | grep -o '"detail":"[^"]*"' | sort | uniq -c \
      | sort -rn | head -5 >&2 || true
    exit 1
  fi
}

if [ -n "$jvmab" ]; then
  # --jvm SECONDS ROUNDS OPTIONS...: one daemon per OPTIONS word (comma-separated items: JVM options, and
  # signet.KEY=VALUE settings), all up at once, each warmed; then ROUNDS rounds, the daemons in turn: saturation
  # (exchanges/s, server CPU per exchange) and evenly spaced at half of the first daemon's first saturation, the
  # same rate for all (p50/p99/max, stop-the-world time in the phase). Without the start-up cache, whose key the
  # options change.
  opts=("$@"); [ "${#opts[@]}" -gt 0 ] || opts=(-XX:+UseG1GC -XX:+UseSerialGC -XX:+UseZGC)
  n=${#opts[@]}
  for i in $(seq 0 $((n - 1))); do
    jopts=(); dsets=()
    IFS=, read -ra items <<<"${opts[$i]}"
    for it in "${items[@]}"; do case "$it" in signet.*) dsets+=("$it") ;; *) jopts+=("$it") ;; esac; done
    SIGNET_AOT=off SIGNET_JAVA_OPTS="${jopts[*]} -Xlog:safepoint:file=$work/sp$i.log:timemillis" start_daemon "$i" "${dsets[@]}"
    echo "== daemon $i: ${opts[$i]}"
  done
  for i in $(seq 0 $((n - 1))); do use "$i"; echo "-- daemon $i (${opts[$i]}) warming up"; warm_up; done
  half=""
  for r in $(seq "$rounds"); do
    for i in $(seq 0 $((n - 1))); do
      use "$i"
      c0=$(cpu); g0=$(gc_cpu); sat=$(phase saturation "$secs" $conns); c1=$(cpu); g1=$(gc_cpu)
      ok=$(( $(ok_of "$sat") ))
      [ -n "$half" ] || { half=$(( ok / secs / 2 )); [ "$half" -ge 1 ] || half=1; }
      echo "== round $r, ${opts[$i]}: saturation $(( ok / secs ))/s, $(awk -v d=$((c1 - c0)) -v hz="$hz" -v n="$ok" \
        'BEGIN{printf "%.0f", d / hz * 1e6 / (n > 0 ? n : 1)}') us server CPU per exchange, of which GC + VM threads" \
        "$(awk -v d=$((g1 - g0)) -v hz="$hz" -v n="$ok" 'BEGIN{printf "%.0f", d / hz * 1e6 / (n > 0 ? n : 1)}') us"
      c0=$(cpu); g0=$(gc_cpu)
      stw_log="$work/sp$i.log" even_exchanges "$half" "$secs" "${opts[$i]}" nofloor
      c1=$(cpu); g1=$(gc_cpu)
      echo "   in the evenly spaced phase: server CPU" \
        "$(awk -v d=$((c1 - c0)) -v hz="$hz" -v n=$((half * secs)) 'BEGIN{printf "%.0f", d / hz * 1e6 / n}') us per exchange, GC + VM threads" \
        "$(awk -v d=$((g1 - g0)) -v hz="$hz" -v n=$((half * secs)) 'BEGIN{printf "%.0f", d / hz * 1e6 / n}') us"
    done
  done
  exit 0
fi

use 0
warm_up

if [ -n "$profile" ]; then
  out="$root/ops/bench/target/exchange-profile"; mkdir -p "$out"
  jhome="$(dirname "$(dirname "$(readlink -f "/proc/$pid/exe")")")"
  threads() { # "thread-kind ticks" per line, thread names without their numbers
    for t in /proc/"$pid"/task/*; do
      echo "$(tr -d '0-9 ' <"$t/comm" | sed 's/[-#]*$//') $(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')"
    done 2>/dev/null | awk '{s[$1] += $2} END {for (k in s) print k, s[k]}'
  }
  for round in $(seq "${SIGNET_BENCH_ROUNDS:-1}"); do   # more rounds: whether the JIT's share settles
    threads >"$work/threads.0"; sat=$(phase saturation "$secs" $conns); threads >"$work/threads.1"
    n=$(( $(ok_of "$sat") ))
    echo "== saturation $round, no profiler ($conns connections, $secs s): $sat"
    echo "   server CPU microseconds per exchange by thread kind:"
    awk -v hz="$hz" -v n="$n" 'NR == FNR {a[$1] = $2; next} {d = $2 - a[$1]; if (d > 0) {t += d; printf "   %8.1f  %s\n", d / hz * 1e6 / n, $1}}
      END {printf "   %8.1f  total\n", t / hz * 1e6 / n}' "$work/threads.0" "$work/threads.1" | sort -k1,1nr | head -8
  done
  "$jhome/bin/jcmd" "$pid" JFR.start name=exchange-profile settings=profile \
    'jdk.CPUTimeSample#enabled=true' 'jdk.CPUTimeSample#throttle=2ms' 'jdk.ObjectAllocationSample#throttle=300/s' >/dev/null
  c0=$(cpu); sat=$(phase saturation "$secs" $conns); c1=$(cpu)
  "$jhome/bin/jcmd" "$pid" JFR.stop name=exchange-profile filename="$out/exchange.jfr" >/dev/null
  n=$(( $(ok_of "$sat") ))
  us=$(awk -v d=$((c1 - c0)) -v hz="$hz" -v n="$n" 'BEGIN{printf "%.0f", (n > 0 ? d / hz * 1e6 / n : 0)}')
  echo "== saturation under JFR: $sat; $us server CPU microseconds per exchange"
  "$jhome/bin/jfr" print --events jdk.CPUTimeSample --stack-depth 400 "$out/exchange.jfr" \
    | awk -v us="$us" -f "$root/ops/bench/exchange-profile.awk"
  echo "-- allocation by site (jfr view allocation-by-site)"
  "$jhome/bin/jfr" view --width 160 allocation-by-site "$out/exchange.jfr" 2>&1 | sed -n '4,18p'
  echo "== recording: $out/exchange.jfr"
  exit 0
fi

c0=$(cpu); j0=$(jit)
sat=$(phase saturation "$secs" $conns)
c1=$(cpu); j1=$(jit)
n=$(( $(ok_of "$sat") )); xps=$(( n / secs ))
cores=$(awk -v d=$((c1 - c0)) -v hz="$hz" -v s="$secs" 'BEGIN{printf "%.2f", d/hz/s}')
per=$(awk -v n="$n" -v d=$((c1 - c0)) -v hz="$hz" 'BEGIN{printf "%.0f", n/(d/hz)}')
us=$(awk -v n="$n" -v d=$((c1 - c0)) -v hz="$hz" 'BEGIN{printf "%.0f", d/hz*1e6/n}')
jus=$(awk -v n="$n" -v d=$((j1 - j0)) -v hz="$hz" 'BEGIN{printf "%.0f", d/hz*1e6/n}')
echo "== saturation ($conns connections, $secs s): $sat"
echo "   $xps exchanges/s; server CPU $cores cores busy -> $per exchanges per server CPU-second ($us us each, of" \
  "which the JIT compiler threads $jus us)"
[ "$raw" -gt 0 ] && echo "   raw crypto (JMH rawCrypto, 1 thread): JDK verification $raw ops/s -> ratio $(awk -v a="$per" -v b="$raw" 'BEGIN{printf "%.2f", a/b}') (target >= 0.5);" \
  "OpenSSL verification $raw_ossl ops/s -> ratio $(awk -v a="$per" -v b="$raw_ossl" 'BEGIN{printf "%.2f", a/b}')"
[ "${raw_cpu:-0}" -gt 0 ] && echo "   raw crypto per thread CPU-second (ExchangeCpu, OpenSSL: the ratio a loaded machine can still judge): $raw_cpu/s" \
  "-> ratio $(awk -v a="$per" -v b="$raw_cpu" 'BEGIN{printf "%.2f", (b > 0 ? a/b : 0)}') (target >= 0.5);" \
  "without the JIT compiler threads $(awk -v u="$us" -v j="$jus" -v b="$raw_cpu" 'BEGIN{printf "%.2f", (b > 0 && u > j ? 1e6 / (u - j) / b : 0)}')"

# wrk paced over as many connections as saturation had, each waiting DELAY ms after its answer (a connection's
# next request waits for its answer, so a slow answer delays the arrivals behind it: coordinated omission). Kept
# beside the evenly spaced figure below to compare the two generators.
half=$(( xps / 2 )); [ "$half" -ge 1 ] || half=1
delay=$(( conns * 1000 / half )); [ "$delay" -ge 1 ] || delay=1
lat=$(phase half "$secs" $conns $delay)
echo "== wrk paced at about half saturation ($half/s target, $conns connections, ${delay} ms apart each): $lat"
# Evenly spaced at the same rate (ops/bench/paced.c): request k due at start + k / rate, latency from the due time;
# safepoint logging switched on in the running daemon (jcmd VM.log) to tell whether its pauses make the p99.
jhome="$(dirname "$(dirname "$(readlink -f "/proc/$pid/exe")")")"
"$jhome/bin/jcmd" "$pid" VM.log output="$work/stw.log" what=safepoint=info decorators=timemillis >/dev/null 2>&1 || true
stw_log="$work/stw.log" even_exchanges "$half" "$secs"
echo "== daemon RSS after the run: $(awk '/VmRSS/{print $2/1024 " MiB"}' "/proc/$pid/status")"
