#!/usr/bin/env bash
# exchange-ab.sh (ops/bin/bench exchange-ab [SECONDS] [ROUNDS] LABEL:RELEASE_DIR[:signet.KEY=VALUE,...] ...): server
# CPU per token exchange over HTTP of two or more daemons side by side, e.g. two releases, or one release with and
# without a setting. Each variant is its own `signet dev --mode delegated` (as `bench exchange` starts it), all
# running at once; every variant is warmed up (SIGNET_BENCH_WARMUPS phases of 10 s, default 4: the JIT settled on an
# idle machine; give more on a loaded one) and then measured in turn, round
# by round (A B A B ...), so a machine whose load drifts treats them alike. Per phase: wrk over 32 connections at
# saturation with freshly made requests (ExchangeRequests, as `bench exchange`), the daemon's utime+stime per
# successful exchange (and how much of it was system time, and the context switches of all its threads per exchange). Prints each round's microseconds per exchange and, per variant, the median over the rounds
# and the median of the rounds' ratios to the first variant (< 1: cheaper). Default variant: current:<this
# checkout's release>; the release of another commit: `git worktree add /tmp/w COMMIT && /tmp/w/ops/bin/signet
# --version` then /tmp/w/.signet/install/current. About (80 + 2 x ROUNDS x SECONDS) s per variant.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
secs="${1:-10}"; rounds="${2:-5}"; shift 2 || shift $# || true
variants=("$@")
"$root/ops/bin/signet" --version >/dev/null   # builds and installs the release when the sources changed
[ "${#variants[@]}" -gt 0 ] || variants=("current:$(readlink -f "$root/.signet/install/current")")
source <(sed -n '/^java_major()/,/^}/p;/^find_jdk()/,/^}/p' "$root/ops/bin/signet")
min_java=21; JAVA_HOME="$(find_jdk)"; java="$JAVA_HOME/bin/java"
(cd "$root" && JAVA_HOME="$JAVA_HOME" ./mvnw -B -q -pl ops/bench -am package -DskipTests >/dev/null)
cp="$root/ops/bench/target/classes:$root/ops/bench/target/lib/*"
work="$(mktemp -d)"; pids=(); gen=""
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -z "$gen" ] || kill "$gen" 2>/dev/null || true
  wait 2>/dev/null || true; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
hz=$(getconf CLK_TCK); conns=32
echo "== machine: $(nproc) cores, $("$java" -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
label=(); port=()
for v in "${variants[@]}"; do
  IFS=: read -r l r s <<<"$v"
  i=${#label[@]}; label+=("$l"); p=$((18540 + i)); port+=("$p"); minter="bench-minter-$RANDOM$RANDOM"
  sets=(); IFS=, read -ra kvs <<<"${s:-}"; for kv in "${kvs[@]}"; do sets+=(--set "$kv"); done
  SIGNET_DEV_MINTER_TOKEN="$minter" SIGNET_DEV_ADMIN_TOKEN="bench-admin-$RANDOM" \
    "$(readlink -f "$r")/bin/signet" dev --mode delegated --port "$p" --admin-port $((19540 + i)) \
    --data-dir "$work/data.$i" "${sets[@]}" >"$work/log.$i" 2>&1 &
  pids+=($!)
  until curl -sf -o /dev/null "http://127.0.0.1:$((19540 + i))/observe/health"; do
    kill -0 "${pids[$i]}" 2>/dev/null || { echo "bench: daemon $l died:" >&2; tail -30 "$work/log.$i" >&2; exit 1; }
    sleep 0.1
  done
  "$java" -cp "$cp" dev.signet.bench.ExchangeRequests parents "http://127.0.0.1:$p" "$minter" 32 "$work/parents.$i"
  echo "== $l: $(readlink -f "$r")${s:+ ($s)}; $(grep -o 'token exchange: .*' "$work/log.$i" | head -1)"
done
mkfifo "$work/req.0" "$work/req.1"
# switches PID: context switches of all the daemon's threads so far
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {n += $2} END {print n + 0}'; }
# phase I SECONDS -> "EXCHANGES CPU_TICKS SYSTEM_TICKS CONTEXT_SWITCHES" of variant I at saturation
phase() {
  local c0 c1 s0 s1 x0 x1 out
  "$java" --enable-native-access=ALL-UNNAMED -cp "$cp" dev.signet.bench.ExchangeRequests stream \
    "http://localhost:${port[$1]}" "$work/parents.$1" "$work/req" 2 >"$work/requests.log" 2>&1 &
  gen=$!
  c0=$(awk '{print $14 + $15}' "/proc/${pids[$1]}/stat"); s0=$(awk '{print $15}' "/proc/${pids[$1]}/stat")
  x0=$(switches "${pids[$1]}")
  out=$(SIGNET_EXCHANGES="$work/req" wrk -t2 -c$conns -d"$2s" -s "$root/ops/bench/exchange.lua" \
    "http://127.0.0.1:${port[$1]}" | grep '^wrk:')
  c1=$(awk '{print $14 + $15}' "/proc/${pids[$1]}/stat"); s1=$(awk '{print $15}' "/proc/${pids[$1]}/stat")
  x1=$(switches "${pids[$1]}")
  kill "$gen" 2>/dev/null || true; wait "$gen" 2>/dev/null || true; gen=""
  echo "$(sed -E 's/.*requests=([0-9]+) non2xx=([0-9]+).*/\1 - \2/' <<<"$out" | bc) $((c1 - c0)) $((s1 - s0)) $((x1 - x0))"
}
warmups="${SIGNET_BENCH_WARMUPS:-4}"
for ((w = 0; w < warmups; w++)); do for i in "${!label[@]}"; do phase "$i" 10 >/dev/null; done; done
echo "== warmed up ($warmups x 10 s each); $rounds rounds of $secs s per variant, server CPU microseconds per exchange:"
for i in "${!label[@]}"; do : >"$work/us.$i"; : >"$work/ratio.$i"; done
for ((r = 1; r <= rounds; r++)); do
  line="   round $r, load $(cut -d' ' -f1 /proc/loadavg):"
  for i in "${!label[@]}"; do
    read -r n t st x < <(phase "$i" "$secs")
    us=$(awk -v n="$n" -v t="$t" -v hz="$hz" 'BEGIN{printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0)}')
    detail=$(awk -v n="$n" -v st="$st" -v x="$x" -v hz="$hz" \
      'BEGIN{printf "system %.0f us, %.2f context switches", (n > 0 ? st / hz * 1e6 / n : 0), (n > 0 ? x / n : 0)}')
    echo "$us" >>"$work/us.$i"; [ "$i" -eq 0 ] && first=$us
    awk -v a="$us" -v b="$first" 'BEGIN{printf "%.3f\n", a / b}' >>"$work/ratio.$i"
    line+=" ${label[$i]} $us us ($((n / secs))/s; $detail)"
  done
  echo "$line"
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "-")}'; }
for i in "${!label[@]}"; do
  echo "== ${label[$i]}: median $(median <"$work/us.$i") us per exchange; median ratio to ${label[0]} $(median <"$work/ratio.$i")"
done
