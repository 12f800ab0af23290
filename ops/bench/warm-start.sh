#!/usr/bin/env bash
# warm-start.sh: how fast a freshly started daemon serves, variants interleaved run by run (A B A B ...), so a
# JVM option that changes start-up (e.g. the start-up cache's training profiles replayed or not) is also judged by
# the first seconds of serving after it.
# usage: ops/bench/warm-start.sh [RUNS, default 3] [SECONDS per phase, default 2] [PHASES, default 4]
#                                [LABEL:RELEASE_DIR:AOT[:JAVA_HOME[:JVM_OPTIONS]] ...]   (variants as in startup.sh)
#   default variants: this checkout's release as shipped, and with the training profiles replayed
#   ('replay:R:on::-XX:+UnlockDiagnosticVMOptions -XX:+AOTReplayTraining').
# Per run and variant: `bin/signet dev` (software backend, ES256, direct, new issuer) until healthy, then PHASES
# back-to-back phases of wrk (1 thread, 32 keep-alive connections, single tokens) from the first request on:
# tokens/s and the daemon's CPU per token in each phase, and the JIT compiler threads' part of that CPU.
# Prints medians per variant and phase. Each variant's start-up cache is made once before the runs, not counted.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs="${1:-3}"; secs="${2:-2}"; phases="${3:-4}"; shift 3 || shift $#
command -v wrk >/dev/null || { echo "warm-start: needs wrk (apt-get install wrk)" >&2; exit 2; }
current="$(readlink -f "$root/.signet/install/current")"
variants=("$@")
[ "${#variants[@]}" -gt 0 ] || variants=("shipped:$current:on"
  "replay:$current:on::-XX:+UnlockDiagnosticVMOptions -XX:+AOTReplayTraining")
work="$(mktemp -d)"; pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
minter=bench-minter-0123456789abcdef
export SIGNET_DEV_MINTER_TOKEN=$minter SIGNET_DEV_ADMIN_TOKEN=bench-admin-0123456789abcdef
port=18690; admin=19690; hz="$(getconf CLK_TCK)"
median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "-")}'; }
cpu() { local s; s="$(cat "/proc/$1/stat")"; s="${s##*) }"; set -- $s; echo $(( ${12} + ${13} )); }
jit() {
  local t s sum=0
  for t in /proc/"$1"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in
      C1\ Compiler*|C2\ Compiler*) s="$(cat "$t/stat" 2>/dev/null)" || continue; s="${s##*) }"; set -- $s
        sum=$(( sum + ${12} + ${13} )) ;;
    esac
  done
  echo "$sum"
}
label=(); rel=(); aot=(); jh=(); jo=()
for v in "${variants[@]}"; do
  IFS=: read -r l r a j o <<<"$v"
  label+=("$l"); rel+=("$(readlink -f "$r")"); aot+=("${a:-on}"); jh+=("${j:-}"); jo+=("${o:-}")
done
envs() {
  ev=("SIGNET_AOT=${aot[$1]}" "SIGNET_CACHE_DIR=$work/cache/$1"); [ -z "${jh[$1]}" ] || ev+=("JAVA_HOME=${jh[$1]}")
  [ -z "${jo[$1]}" ] || ev+=("SIGNET_JAVA_OPTS=${jo[$1]}")
}
for i in "${!label[@]}"; do
  envs "$i"; if [ "${aot[$i]}" = on ]; then (cd "$work" && env "${ev[@]}" "${rel[$i]}/bin/signet" cache >/dev/null); fi
done
for n in $(seq "$runs"); do
  for i in "${!label[@]}"; do
    rm -rf "$work/data"; envs "$i"
    (cd "$work" && exec env "${ev[@]}" "${rel[$i]}/bin/signet" dev --data-dir "$work/data" --port $port \
       --admin-port $admin >"$work/log" 2>&1) & pid=$!
    deadline=$(( SECONDS + 300 ))
    until curl -sf -o /dev/null "http://127.0.0.1:$admin/observe/health"; do
      kill -0 $pid 2>/dev/null || { cat "$work/log" >&2; exit 1; }
      [ "$SECONDS" -lt "$deadline" ] || { echo "warm-start: ${label[$i]} not healthy in 300 s" >&2; exit 1; }
      sleep 0.02
    done
    for p in $(seq "$phases"); do
      c0=$(cpu $pid); j0=$(jit $pid)
      line="$(SIGNET_TOKEN=$minter SIGNET_BATCH=0 wrk -t1 -c32 -d"${secs}s" --timeout 10s -s "$root/ops/bench/mint.lua" \
        "http://127.0.0.1:$port" | grep '^wrk:')"
      c1=$(cpu $pid); j1=$(jit $pid)
      req=$(sed -E 's/.* requests=([0-9]+).*/\1/' <<<"$line"); [ "$req" -gt 0 ] || req=1
      sed -E 's/.*requests\/s=([0-9]+).*/\1/' <<<"$line" >>"$work/$i.$p.rps"
      echo $(( (c1 - c0) * 1000000 / hz / req )) >>"$work/$i.$p.us"
      echo $(( (j1 - j0) * 1000000 / hz / req )) >>"$work/$i.$p.jit"
    done
    kill -TERM $pid; wait $pid 2>/dev/null || true; pid=""
  done
done
printf '%-10s %6s %10s %18s %18s\n' variant phase "tokens/s" "CPU us/token" "of it JIT us"
for i in "${!label[@]}"; do
  for p in $(seq "$phases"); do
    printf '%-10s %6s %10s %18s %18s\n' "${label[$i]}" "$p" "$(median <"$work/$i.$p.rps")" \
      "$(median <"$work/$i.$p.us")" "$(median <"$work/$i.$p.jit")"
  done
done
echo "(medians of $runs starts per variant, phases of ${secs} s from the first request on; load average $(cut -d' ' -f1-3 /proc/loadavg))"
