#!/usr/bin/env bash
# startup.sh: start-up figures of an installed release, with and without the start-up cache.
# usage: ops/bench/startup.sh [RELEASE_DIR, default: the current build of this checkout] [RUNS, default 5]
# For each of SIGNET_AOT=on/off: `bin/signet dev` (software backend, fresh data directory) from exec to the first
# 200 of /observe/health (wall ms, and the JVM's CPU ms at that moment), then `bin/signet keys list` (wall and
# CPU ms, /usr/bin/time). Prints medians. The cache is made once before the "on" runs and not counted.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rel="$(readlink -f "${1:-$root/.signet/install/current}")"; runs="${2:-5}"
work="$(mktemp -d)"; trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT; pid=""
export SIGNET_CACHE_DIR="$work/cache" SIGNET_DEV_MINTER_TOKEN=bench-minter-0123456789abcdef \
       SIGNET_DEV_ADMIN_TOKEN=bench-admin-0123456789abcdef SIGNET_ADMIN_TOKEN=bench-admin-0123456789abcdef
port=18680; admin=19680; tck="$(getconf CLK_TCK)"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
(cd "$work" && "$rel/bin/signet" cache >/dev/null)
for aot in on off; do
  : >"$work/healthy"; : >"$work/cpu"; : >"$work/list"; : >"$work/listcpu"
  for i in $(seq "$runs"); do
    rm -rf "$work/data"
    t0=$(now_ms)
    (cd "$work" && SIGNET_AOT=$aot exec "$rel/bin/signet" dev --data-dir "$work/data" --port $port --admin-port $admin \
      >"$work/log" 2>&1) & pid=$!
    until curl -sf -o /dev/null "http://127.0.0.1:$admin/observe/health"; do
      kill -0 $pid 2>/dev/null || { cat "$work/log" >&2; exit 1; }
      sleep 0.01
    done
    echo $(( $(now_ms) - t0 )) >>"$work/healthy"
    read -r -a st <"/proc/$pid/stat"; echo $(( (st[13] + st[14]) * 1000 / tck )) >>"$work/cpu"
    for j in 1 2; do   # the keys list round trip, against the daemon just started
      SIGNET_AOT=$aot /usr/bin/time -f '%e %U %S' -o "$work/t" "$rel/bin/signet" keys list --admin "http://127.0.0.1:$admin" >/dev/null
      read -r e u s <"$work/t"; echo "$e" | awk '{print int($1*1000)}' >>"$work/list"
      echo "$u $s" | awk '{print int(($1+$2)*1000)}' >>"$work/listcpu"
    done
    kill -TERM $pid; wait $pid 2>/dev/null || true; pid=""
  done
  echo "SIGNET_AOT=$aot: dev to healthy $(median <"$work/healthy") ms wall, $(median <"$work/cpu") ms CPU;" \
       "keys list $(median <"$work/list") ms wall, $(median <"$work/listcpu") ms CPU (medians of $runs / $((runs*2)) runs)"
done
