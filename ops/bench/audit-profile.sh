#!/usr/bin/env bash
# audit-profile.sh [SECONDS] [BATCH] [CONNECTIONS]: where durable audit's extra CPU per token goes. Two daemons
# (`signet dev --mode delegated`, audit.durability none and sync), warmed 30 s, then a JFR CPU-time recording of
# each under wrk (BATCH 0: single tokens, default 50 over 16 connections): tokens/s, daemon CPU per token, CPU by
# layer (ops/bench/cpu-layers.py) and, for sync, the audit layer's samples by call site (fdatasync, the record's
# JSON, the event, the writer's framing, queue and wake-ups). Recordings kept in SIGNET_BENCH_KEEP (default /tmp).
# ops/bin/bench audit-profile [SECONDS] [BATCH] [CONNECTIONS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
secs="${1:-15}"; batch="${2:-50}"; conns="${3:-16}"
work="$(mktemp -d)"; keep="${SIGNET_BENCH_KEEP:-/tmp}/signet-audit-profile-$(date +%H%M%S)"; mkdir -p "$keep"; pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
"$root/ops/bin/signet" --version >/dev/null   # builds and installs the release when the sources changed
launcher="$root/.signet/install/current/bin/signet"
token="bench-minter-$RANDOM$RANDOM"; hz=$(getconf CLK_TCK)
start() { # start INDEX DURABILITY
  SIGNET_AOT=off SIGNET_DEV_MINTER_TOKEN="$token" SIGNET_DEV_ADMIN_TOKEN="bench-admin-$RANDOM" "$launcher" dev \
    --mode delegated --port $((18700 + $1)) --admin-port $((19700 + $1)) --data-dir "$work/d$1" \
    --set signet.audit.durability="$2" >"$work/log$1" 2>&1 &
  pids+=($!); printf -v "pid_$1" '%s' "$!"
  until curl -sf -o /dev/null "http://127.0.0.1:$((19700 + $1))/observe/health"; do
    kill -0 "$!" 2>/dev/null || { echo "audit-profile: the daemon died:" >&2; tail -30 "$work/log$1" >&2; exit 1; }
    sleep 0.1
  done
}
start 0 none; start 1 sync
jbin="$(dirname "$(readlink -f "/proc/$pid_0/exe")")"
"$jbin/jfr" configure --input profile --output "$keep/cpu.jfc" jdk.CPUTimeSample#enabled=true \
  jdk.CPUTimeSample#throttle=1ms >/dev/null
load() { SIGNET_TOKEN="$token" SIGNET_BATCH="$batch" wrk -t2 -c"$conns" -d"$2s" -s "$root/ops/bench/mint.lua" \
  "http://127.0.0.1:$((18700 + $1))" | grep '^wrk:'; }
for i in 0 1; do load $i "${SIGNET_BENCH_WARMUP:-30}" >/dev/null; done
per=$(( batch > 0 ? batch : 1 ))
for i in 0 1; do
  p=$(eval echo "\$pid_$i"); name=$([ $i = 0 ] && echo none || echo sync)
  c0=$(awk '{print $14 + $15}' "/proc/$p/stat")
  "$jbin/jcmd" "$p" JFR.start name="$name" settings="$keep/cpu.jfc" filename="$keep/$name.jfr" >/dev/null
  out=$(load $i "$secs")
  "$jbin/jcmd" "$p" JFR.stop name="$name" >/dev/null
  c1=$(awk '{print $14 + $15}' "/proc/$p/stat"); n=$(( $(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$out") * per ))
  echo "== $name (batch $batch, $conns connections): $((n / secs)) tokens/s," \
    "$(awk -v c=$((c1 - c0)) -v hz="$hz" -v n="$n" 'BEGIN{printf "%.1f", c/hz*1e6/n}') us daemon CPU per token; $keep/$name.jfr"
  python3 "$root/ops/bench/cpu-layers.py" "$keep/$name.jfr" "$jbin/jfr"
done
echo "-- sync: the audit layer's samples by call site (innermost frames up to the first of the layer)"
"$jbin/jfr" print --json --stack-depth 256 --events jdk.CPUTimeSample "$keep/sync.jfr" >"$work/sync.json"
python3 - "$root/ops/bench/cpu-layers.py" "$work/sync.json" <<'PY'
import collections, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("layers", sys.argv[1]); layers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(layers)
events = json.load(open(sys.argv[2]))["recording"]["events"]
sites = collections.Counter(); total = len(events)
for e in events:
    frames = [f["method"]["type"]["name"] + "." + f["method"]["name"]
              for f in (e["values"].get("stackTrace") or {}).get("frames", [])]
    for i, f in enumerate(frames):
        hit = next((name for name, subs in layers.LAYERS if any(s in f for s in subs)), None)
        if hit:
            if hit.startswith("audit record"):
                sites[" < ".join(x.rsplit("/", 1)[-1] for x in frames[max(0, i - 2):i + 1])] += 1
            break
n = sum(sites.values())
print("audit layer: %d of %d samples" % (n, total))
for site, c in sites.most_common(15):
    print("  %5.1f%% of the layer  %s" % (100.0 * c / max(n, 1), site))
PY
