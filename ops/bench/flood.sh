#!/usr/bin/env bash
# flood.sh: does one minter's flood starve another minter? (issue 18, per-minter quotas)
# usage: ops/bin/bench flood [SECONDS per phase, default 20]
# Two minters on `signet dev --mode delegated` (ES256 subkeys, software master, audit trail at its default, sync):
# "steady" paced at a quarter of the daemon's saturation over 8 connections (h2load --rps), "flood" closed loop over
# 32 connections (h2load -c32), both POST /v1/tokens, ttl 300. First without quotas: saturation (steady alone, 32
# connections), then steady alone, then steady beside the flood. Then a second daemon where steady has
# `minters[].rate` = half of saturation (twice what it asks) and flood a tenth: steady alone, then beside the flood.
# Per phase: steady's success rate (201 of all it sent), tokens/s and p50/p99/max of its 201s (h2load's
# per-request log); flood's 201/s and 429/s. Warm-up SIGNET_BENCH_WARMUP seconds (default SECONDS) on each daemon.
set -euo pipefail
{ # one block, which bash reads whole before running it: editing this file does not change a run under way
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
secs="${1:-20}"; warm="${SIGNET_BENCH_WARMUP:-$secs}"
command -v h2load >/dev/null 2>&1 || { echo "bench flood: needs h2load (Debian: apt-get install nghttp2-client)" >&2; exit 1; }
work="$(mktemp -d)"; pid=""
trap '[ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
steady="bench-steady-$RANDOM$RANDOM$RANDOM"; flood="bench-flood-$RANDOM$RANDOM$RANDOM"
port=18791; admin=19791; url="http://127.0.0.1:$port/v1/tokens"
printf '{"sub":"agent-7","aud":"https://api.example.com","ttl":300,"scope":[{"resource":"repo:acme/widgets","actions":["read"]}]}' >"$work/body"
"$root/ops/bin/signet" --version >/dev/null   # builds and installs the release when the sources changed
launcher="$root/.signet/install/current/bin/signet"
"$launcher" cache >/dev/null 2>&1 || true

start() { # start [signet.KEY=VALUE ...]: the dev minter is steady; minters.1 is flood
  local sets=() kv
  for kv in signet.minters.1.name=flood "signet.minters.1.credential-hash=sha256:$(printf '%s' "$flood" | sha256sum | cut -c1-64)" \
      'signet.minters.1.audiences.0=*' 'signet.minters.1.resources.0=**' 'signet.minters.1.actions.0=*' "$@"; do
    sets+=(--set "$kv")
  done
  rm -rf "$work/data"
  local p; for p in $port $admin; do   # a daemon left from an earlier run would be measured instead
    ! curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$p/" \
      || { echo "bench flood: port $p is in use (a daemon left from an earlier run?)" >&2; exit 1; }
  done
  SIGNET_DEV_MINTER_TOKEN="$steady" SIGNET_DEV_ADMIN_TOKEN="bench-admin-$RANDOM$RANDOM" "$launcher" dev --mode delegated \
    --port $port --admin-port $admin --data-dir "$work/data" "${sets[@]}" >"$work/log" 2>&1 &
  pid=$!
  local deadline=$(( $(date +%s) + 300 ))
  until curl -sf -o /dev/null "http://127.0.0.1:$admin/observe/health"; do
    kill -0 "$pid" 2>/dev/null || { tail -30 "$work/log" >&2; echo "bench flood: the daemon died (log above)" >&2; exit 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { echo "bench flood: the daemon was not healthy within 300 s" >&2; exit 1; }
    sleep 0.1
  done
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }
h2() { # h2 CREDENTIAL CONNECTIONS SECONDS LOG [h2load args]
  local cred="$1" c="$2" d="$3" log="$4"; shift 4
  [ "$log" = /dev/null ] || rm -f "$log"   # h2load appends to its --log-file
  h2load --h1 -t1 -c"$c" -D "$d" -d "$work/body" -H "Authorization: Bearer $cred" -H 'Content-Type: application/json' \
    --log-file="$log" "$@" "$url"
}
count() { awk -F'\t' -v s="$2" '$2 == s' "$1" | wc -l; }
steady_line() { # steady's figures from its h2load log
  awk -F'\t' '$2 == 201 {print $3 / 1000}' "$1" | sort -n \
    | awk -v all="$(wc -l <"$1")" -v d="$secs" -v want="$(awk -v p="$per" 'BEGIN {printf "%.0f", 8 * p}')" '{a[NR]=$1} END {
        if (NR == 0) {printf "steady: 0 of %d succeeded", all; exit}
        printf "steady: %.1f%% of %d succeeded, %.0f tokens/s of %d/s paced (a connection waits for its answer), p50 %.2f p99 %.2f max %.1f ms",
          100 * NR / all, all, NR / d, want, a[int(NR*0.5)+1], a[int(NR*0.99)+1], a[NR]}'
}
flood_line() { echo "flood: $(( $(count "$1" 201) / secs )) tokens/s, $(( $(count "$1" 429) / secs )) refused/s (429), $(awk -F'\t' '$2 != 201 && $2 != 429' "$1" | wc -l) other"; }
steady_alone() { h2 "$steady" 8 "$secs" "$work/steady.log" --rps="$per" >/dev/null 2>&1; echo "   $1, steady alone: $(steady_line "$work/steady.log")"; }
steady_flooded() { # steady_flooded LABEL [SECONDS]
  local d="${2:-$secs}"
  h2 "$flood" 32 "$d" "$work/flood.log" >/dev/null 2>&1 & local f=$!
  h2 "$steady" 8 "$d" "$work/steady.log" --rps="$per" >/dev/null 2>&1
  wait "$f"
  [ -z "${2:-}" ] || return 0   # a warm-up
  echo "   $1, beside the flood: $(steady_line "$work/steady.log"); $(flood_line "$work/flood.log")"
}

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); warm-up ${warm}s, ${secs}s a phase"
start
h2 "$steady" 32 "$warm" /dev/null >/dev/null 2>&1   # warm-up
h2 "$steady" 32 "$secs" "$work/sat.log" >/dev/null 2>&1
sat=$(( $(count "$work/sat.log" 201) / secs ))
per=$(awk -v s="$sat" 'BEGIN {p = s / 4 / 8; printf "%.2f", (p < 0.1 ? 0.1 : p)}')
echo "== saturation (steady alone, 32 connections): $sat tokens/s; steady is paced at 8 x $per req/s (a quarter)"
echo "== no quotas"
steady_alone "no quotas"
steady_flooded "no quotas"
stop
steady_rate=$(( sat / 2 > 1 ? sat / 2 : 1 )); flood_rate=$(( sat / 10 > 1 ? sat / 10 : 1 ))
echo "== quotas: steady minters[].rate=$steady_rate (half of saturation), flood rate=$flood_rate (a tenth); burst = rate"
start signet.minters.0.rate=$steady_rate signet.minters.0.burst=$steady_rate \
      signet.minters.1.rate=$flood_rate signet.minters.1.burst=$flood_rate
steady_flooded warm-up "$warm"   # the refusal path warms up too
steady_alone "quotas"
steady_flooded "quotas"
stop
exit
}
