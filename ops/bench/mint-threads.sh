#!/usr/bin/env bash
# mint-threads.sh [SECONDS] [BATCH] [CONNECTIONS] [ROUNDS] SETTINGS ...: one daemon per SETTINGS word
# (`signet dev --mode delegated`), warmed (SIGNET_BENCH_WARMUP s, default 40), then rounds in turn of wrk load on
# each: tokens/s and the daemon's CPU per token by thread kind, user + system and system alone (kernel accounting,
# no profiler). A SETTINGS word is `signet.KEY=VALUE` pairs joined by `;` (`-` for none), optionally after JVM
# options and a `|` (`-Dx=y|signet.audit.durability=none`).
# ops/bin/bench mint-threads 10 0 64 2 "signet.audit.durability=none" "signet.audit.durability=async" -
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
secs="${1:-10}"; batch="${2:-0}"; conns="${3:-64}"; rounds="${4:-2}"; shift 4 || true
[ $# -gt 0 ] || set -- "signet.audit.durability=none" -
work="$(mktemp -d)"; pids=(); names=(); token="bench-minter-$RANDOM$RANDOM"; hz=$(getconf CLK_TCK)
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
"$root/ops/bin/signet" --version >/dev/null   # builds and installs the release when the sources changed
launcher="$root/.signet/install/current/bin/signet"
i=0
for word in "$@"; do
  jo=""; s="$word"; case "$s" in *"|"*) jo="${s%%|*}"; s="${s#*|}" ;; esac
  sets=(); if [ "$s" != "-" ]; then IFS=';' read -ra kv <<<"$s"; for x in "${kv[@]}"; do sets+=(--set "$x"); done; fi
  SIGNET_JAVA_OPTS="$jo" SIGNET_DEV_MINTER_TOKEN="$token" SIGNET_DEV_ADMIN_TOKEN="bench-admin-$RANDOM" "$launcher" dev \
    --mode delegated --port $((18800 + i)) --admin-port $((19800 + i)) --data-dir "$work/d$i" ${sets[@]+"${sets[@]}"} \
    >"$work/log$i" 2>&1 &
  pids+=($!); names+=("$word")
  until curl -sf -o /dev/null "http://127.0.0.1:$((19800 + i))/observe/health"; do
    kill -0 "${pids[$i]}" 2>/dev/null || { echo "mint-threads: the daemon died:" >&2; tail -30 "$work/log$i" >&2; exit 1; }
    sleep 0.1
  done
  i=$((i + 1))
done
load() { SIGNET_TOKEN="$token" SIGNET_BATCH="$batch" wrk -t2 -c"$conns" -d"$2s" -s "$root/ops/bench/mint.lua" \
  "http://127.0.0.1:$((18800 + $1))" | grep '^wrk:'; }
threads() { # "thread-kind user system" per line, thread names without their numbers
  for t in /proc/"$1"/task/*; do
    echo "$(tr -d '0-9 ' <"$t/comm" | sed 's/[-#]*$//') $(sed 's/.*) //' "$t/stat" | awk '{print $12, $13}')"
  done 2>/dev/null | awk '{u[$1] += $2; s[$1] += $3} END {for (k in u) print k, u[k], s[k]}'
}
for j in "${!pids[@]}"; do load "$j" "${SIGNET_BENCH_WARMUP:-40}" >/dev/null; done
per=$(( batch > 0 ? batch : 1 ))
echo "== disk of the audit logs: $(findmnt -no SOURCE,FSTYPE -T "$work" | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  for j in "${!pids[@]}"; do
    threads "${pids[$j]}" >"$work/t0"; out=$(load "$j" "$secs"); threads "${pids[$j]}" >"$work/t1"
    tok=$(( $(sed -E 's/.*requests=([0-9]+) non2xx=([0-9]+).*/\1 - \2/' <<<"$out") ))
    tok=$(( tok * per ))
    echo "== round $r, ${names[$j]} ($([ "$batch" = 0 ] && echo single || echo "batch $batch"), $conns connections): $((tok / secs)) tokens/s; $(sed -E 's/.*(p50=[^ ]+ p99=[^ ]+).*/\1/' <<<"$out")"
    awk -v hz="$hz" -v n="$tok" 'NR == FNR {u[$1] = $2; s[$1] = $3; next}
      {du = $2 - u[$1]; ds = $3 - s[$1]; if (du + ds > 0) {tu += du; ts += ds; printf "   %7.2f us (system %6.2f)  %s\n", (du + ds) / hz * 1e6 / n, ds / hz * 1e6 / n, $1}}
      END {printf "   %7.2f us (system %6.2f)  all threads, per token\n", (tu + ts) / hz * 1e6 / n, ts / hz * 1e6 / n}' \
      "$work/t0" "$work/t1" | sort -k1,1nr | awk '$1 >= 0.5 || /all threads/'
  done
done
