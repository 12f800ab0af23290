#!/usr/bin/env bash
# http.sh: HTTP scenarios against `signet dev --mode delegated` (ES256 subkeys, software master), one command each:
#   ops/bin/bench fairness [SECONDS]  saturation with 32 keep-alive connections (h2load --h1 -t2 -c32): per-connection
#                                     req/s (slowest / mean), p50/p99/max from h2load's per-request log; then paced
#                                     at half that rate (p50/p99/max): h2load --rps, then evenly spaced (see paced)
#   ops/bin/bench overload [SECONDS]  paced at twice the saturation rate over 256 connections: how many are refused
#                                     (503 overloaded), how fast, and the accepted requests' p50/p99/max
#   ops/bin/bench audit [SECONDS] [ROUNDS]  audit.durability none and sync side by side (sync with the default
#                                     admission bounds), wrk rounds interleaved (single-token over 32 and 256
#                                     connections, batch of 50 over 16): tokens/s, their ratio, daemon CPU and
#                                     context switches per token; p50/p99 of both paced at half of none's saturation; the disk (mount,
#                                     device), and the latency and system CPU of a 512-byte record made durable by
#                                     append + fdatasync, O_DSYNC, and the variants of ops/bench/fsync-cost.py.
#                                     About 4 minutes at the defaults (10 s, 2 rounds). SIGNET_BENCH_AUDIT_BASELINE=DIR
#                                     or =COMMIT adds a third daemon, sync, from that unpacked release or that commit's
#                                     (built in a worktree): an A/B of two builds' durable trails in the same rounds
#   ops/bin/bench compare REV_A REV_B [SECONDS] [ROUNDS]  two commits' daemons side by side (each built in a worktree
#                                     under a temporary directory; or an unpacked release directory, used as it is), interleaved single-token wrk rounds: tokens/s and
#                                     daemon CPU microseconds per token (utime+stime from /proc), for bisecting; the
#                                     two builds take minutes (over 15 on the loaded machine)
#   ops/bin/bench profile [SECONDS]  where the latency goes at saturation (32 connections) and paced at half of it: a
#                                     JFR recording of each phase (profile settings, lock, park, pinning and
#                                     safepoint events from 1 ms) summarised with `jfr view` (hot methods, contention,
#                                     pinned virtual threads, GC pauses, safepoints, allocation; CPU time by layer of
#                                     the request, ops/bench/cpu-layers.py), the daemon's
#                                     run-queue wait (/proc schedstat: runnable, no core) against its CPU time, and
#                                     h2load's p50/p99/max, stop-the-world time (-Xlog:safepoint); recordings kept
#                                     in SIGNET_BENCH_KEEP (default /tmp); SIGNET_BENCH_JAVA_OPTS adds JVM options
#                                     (e.g. -XX:+UseZGC), SIGNET_BENCH_AUDIT=sync profiles the durable trail
#   ops/bin/bench paced [SECONDS]    p99 at half saturation, and what the load generator adds to it: per audit mode
#                                     (none, sync), h2load's own pacing (--rps over 32 connections: a timer per
#                                     connection, all in step, ticking at least every 10 ms and sending all that is
#                                     due at each tick: bursts) against evenly spaced arrivals (ops/bench/paced.c,
#                                     built with gcc, 32 connections), and the same even pacing against GET JWKS: the
#                                     generator's and loopback's own floor. Each line shows how bunched the sends
#                                     were (most in one millisecond against the mean). Needs gcc
#   ops/bin/bench gc [SECONDS] [ROUNDS] [OPTIONS ...]  the same daemon under G1 (default), generational ZGC and
#                                     Parallel GC (or one daemon per OPTIONS word: JVM options, commas for spaces), side
#                                     by side, interleaved h2load saturation rounds (32 connections): req/s, daemon CPU
#                                     per token, p50/p99/max, and the stop-the-world time in the round (safepoints:
#                                     count, total, max)
# SIGNET_BENCH_RELEASE=DIR measures an unpacked release instead of this checkout's build; SIGNET_BENCH_WARMUP=S
# changes the warm-up. Daemons get a 30 s warm-up of the same load first (the JIT needs it). Load generators share the cores with the
# daemon; compare figures of one run, not across machines. Needs h2load (nghttp2-client) and wrk.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
what="${1:?usage: http.sh fairness|overload|audit|compare|profile|paced|gc ...}"; shift
work="$(mktemp -d)"; pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; git -C "$root" worktree prune' EXIT
trap 'exit 130' INT TERM
token="bench-minter-$RANDOM$RANDOM"; hz=$(getconf CLK_TCK)
body='{"sub":"agent-7","aud":"https://api.example.com","ttl":600,"scope":[{"resource":"repo:acme/widgets","actions":["read"]}]}'
printf '%s' "$body" >"$work/body.json"
warm="${SIGNET_BENCH_WARMUP:-30}"

# start_daemon INDEX LAUNCHER [signet.KEY=VALUE ...]: port 18500+INDEX, admin 19500+INDEX; sets pid_INDEX
start_daemon() {
  local i="$1" launcher="$2" sets=(); shift 2
  for kv in "$@"; do sets+=(--set "$kv"); done
  SIGNET_DEV_MINTER_TOKEN="$token" SIGNET_DEV_ADMIN_TOKEN="bench-admin-$RANDOM" \
    $launcher dev --mode delegated --port $((18500 + i)) --admin-port $((19500 + i)) --data-dir "$work/data$i" \
    "${sets[@]}" >"$work/log$i" 2>&1 &
  pids+=($!); printf -v "pid_$i" '%s' "$!"
  until curl -sf -o /dev/null "http://127.0.0.1:$((19500 + i))/observe/health"; do
    kill -0 "$!" 2>/dev/null || { echo "bench: the daemon died:" >&2; tail -30 "$work/log$i" >&2; exit 1; }
    sleep 0.1
  done
}
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# audit groups made durable so far (one fdatasync each; 0 without the trail or before the metric existed)
groups_of() { curl -sf -H 'Accept: text/plain' "http://127.0.0.1:$((19500 + $1))/observe/metrics" 2>/dev/null \
  | awk '/^signet_audit_groups[{ ]/ {v = $NF} END {printf "%d", v}'; }
# context switches (voluntary + involuntary) of all the process's threads: wake-ups and hand-offs
ctx_of() { { cat /proc/"$1"/task/*/status 2>/dev/null || true; } | awk '/ctxt_switches/ {n += $2} END {print n + 0}'; }
url() { echo "http://127.0.0.1:$((18500 + $1))"; }
wrk_run() { # wrk_run INDEX SECONDS CONNECTIONS BATCH -> the mint.lua summary line
  SIGNET_TOKEN="$token" SIGNET_BATCH="$4" wrk -t2 -c"$3" -d"$2s" -s "$root/ops/bench/mint.lua" "$(url "$1")" | grep '^wrk:'
}
h2() { # h2 INDEX SECONDS CONNECTIONS LOGFILE [h2load args]: POST /v1/tokens over HTTP/1.1
  local i="$1" s="$2" c="$3" log="$4"; shift 4
  rm -f "$log"   # h2load appends to its --log-file: fairness's sync run read the none run's requests too
  h2load --h1 -t2 -c"$c" -D "$s" -d "$work/body.json" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' --log-file="$log" "$@" "$(url "$i")/v1/tokens"
}
# latency summary of an h2load log (status 201 only unless STATUS given): count p50 p99 max in ms
lat() { awk -v want="${2:-201}" -F'\t' '$2 == want {print $3 / 1000}' "$1" | sort -n \
  | awk '{a[NR]=$1} END {if (NR == 0) {print "n=0"; exit} printf "n=%d p50=%.2fms p99=%.2fms max=%.1fms", NR, a[int(NR*0.5)+1], a[int(NR*0.99)+1], a[NR]}'; }
# how bunched the sends of an h2load (or paced: send = due + lag) log were: the most sends in one millisecond, the mean per millisecond, and the share
# of requests sent in a millisecond with over 4x the mean (an even or Poisson schedule at these rates has ~none)
bursts() { awk -F'\t' 'NR == 1 {b0 = int($1 / 1000)} {ms = int(($1 + $4) / 1000) - b0; n[ms]++; if (ms < lo) lo = ms; if (ms > hi) hi = ms; t++}
  END {m = t / (hi - lo + 1); for (k in n) {if (n[k] > x) x = n[k]; if (n[k] > 4 * m) e += n[k]}
       printf "sends: most in 1 ms %d, mean %.1f/ms, %.0f%% sent in a ms over 4x the mean", x, m, 100 * e / t}' "$1"; }
# even INDEX RATE SECONDS LOGFILE PATH [BODYFILE HEADER...]: RATE req/s over 32 connections, arrivals evenly spaced
# (ops/bench/paced.c: open loop, latency from each request's due time)
even() {
  local i="$1" rate="$2" s="$3" log="$4" path="$5"; shift 5
  [ -x "$work/paced" ] || gcc -O2 -o "$work/paced" "$root/ops/bench/paced.c"
  "$work/paced" 127.0.0.1 $((18500 + i)) "$path" "$rate" "$s" 32 "$log" "$@"
}
# stop-the-world time since line L of a -Xlog:safepoint file (any collector; reaching + at safepoint)
pauses() { tail -n +"$2" "$1" | sed -nE 's/.*Safepoint "([^"]*)".*Total: ([0-9]+) ns.*/\1 \2/p' \
  | awk '{n++; t += $2; if ($2 > m) {m = $2; w = $1}} END {printf "%d safepoints, %.1f ms total, max %.2f ms (%s)", n, t / 1e6, m / 1e6, w}'; }
# per-connection spread from h2load's "req/s" line: min max mean
# the req/s of an h2load run, from its summary ("finished in ..., N req/s, ...")
sat_rps() { awk '/^finished in/ {for (i = 1; i <= NF; i++) if ($i ~ /req\/s,?$/) {v=$(i-1); gsub(",", "", v); print int(v)}}' "$1" | head -1; }
spread() { awk '/^req\/s/ {printf "per-connection req/s min=%s max=%s mean=%s -> slowest/mean=%.2f", $3, $4, $5, $3 / $5}' "$1"; }
# SIGNET_BENCH_RELEASE: an unpacked release to measure instead of this checkout's build
launcher="${SIGNET_BENCH_RELEASE:-$root/.signet/install/current}/bin/signet"
build_release() { [ -n "${SIGNET_BENCH_RELEASE:-}" ] || "$root/ops/bin/signet" --version >/dev/null; }

case "$what" in
  fairness)
    secs="${1:-20}"; build_release
    for audit in none sync; do
      start_daemon 0 "$launcher" signet.audit.durability=$audit
      h2 0 "$warm" 32 "$work/warm.log" >/dev/null
      h2 0 "$secs" 32 "$work/sat.log" >"$work/sat.out"
      rps=$(sat_rps "$work/sat.out")
      echo "== audit $audit, saturation, 32 connections (h2load --h1 -t2 -c32 -D $secs): $rps req/s; $(spread "$work/sat.out")"
      echo "   latency: $(lat "$work/sat.log")"
      half=$(( rps / 2 / 32 )); [ "$half" -ge 1 ] || half=1
      h2 0 "$secs" 32 "$work/half.log" --rps="$half" >/dev/null
      echo "== audit $audit, paced at half saturation (32 connections x $half req/s): $(lat "$work/half.log"); $(bursts "$work/half.log")"
      even 0 $(( half * 32 )) "$secs" "$work/even.log" /v1/tokens "$work/body.json" "Authorization: Bearer $token" \
        'Content-Type: application/json' >/dev/null
      echo "   the same rate evenly spaced (ops/bench/paced.c, see paced): $(lat "$work/even.log"); $(bursts "$work/even.log")"
      kill "$pid_0"; wait "$pid_0" 2>/dev/null || true
    done
    ;;
  overload)
    secs="${1:-20}"; build_release
    start_daemon 0 "$launcher" signet.audit.durability=none
    h2 0 "$warm" 32 "$work/warm.log" >/dev/null
    h2 0 "$secs" 32 "$work/sat.log" >"$work/sat.out"
    rps=$(sat_rps "$work/sat.out")
    echo "== saturation (32 connections): $rps req/s, $(lat "$work/sat.log")"
    per=$(( (2 * rps + 255) / 256 ))
    h2 0 "$secs" 256 "$work/over.log" --rps="$per" >"$work/over.out"
    echo "== paced at 2x saturation (256 connections x $per req/s = $((256 * per)) offered):"
    echo "   accepted (201): $(lat "$work/over.log" 201)"
    echo "   refused (503 overloaded): $(lat "$work/over.log" 503)"
    echo "   other: $(awk -F'\t' '$2 != 201 && $2 != 503' "$work/over.log" | wc -l) requests"
    ;;
  audit)
    secs="${1:-10}"; rounds="${2:-2}"; build_release
    # sync keeps the default admission bound: requests parked on the group commit hold no in-flight place
    # (http.max-parked), which is what lets enough connections keep the cores busy. none gets the bound lifted,
    # so that 256 connections queue instead of being refused and its throughput is not understated.
    start_daemon 0 "$launcher" signet.audit.durability=none signet.http.max-in-flight=1024
    start_daemon 1 "$launcher"   # sync, default admission
    daemons="0 1"; name() { case $1 in 0) echo none ;; 1) echo sync ;; 2) echo sync-baseline ;; esac; }
    if [ -n "${SIGNET_BENCH_AUDIT_BASELINE:-}" ]; then
      base="$SIGNET_BENCH_AUDIT_BASELINE"
      if [ ! -x "$base/bin/signet" ]; then   # a commit: its release, built in a worktree (as compare does)
        git -C "$root" worktree add -q --detach "$work/wt2" "$base"
        (cd "$work/wt2" && ./ops/bin/signet --version >/dev/null); base="$work/wt2/.signet/install/current"
      fi
      start_daemon 2 "$base/bin/signet"; daemons="0 1 2"
    fi
    dev=$(df --output=source "$work" | tail -1 | xargs); blk=$(lsblk -ndo PKNAME "$dev" 2>/dev/null || true)
    echo "== disk of the audit log: $(findmnt -no SOURCE,FSTYPE,OPTIONS -T "$work" | xargs);" \
      "$(lsblk -ndo NAME,SIZE,ROTA,MODEL "/dev/${blk:-${dev#/dev/}}" 2>/dev/null | xargs | sed 's/^/device /') (ROTA 1 = the kernel's rotational flag)"
    # what making a record durable costs the kernel, per way of writing it (ops/bench/fsync-cost.py)
    python3 "$root/ops/bench/fsync-cost.py" "$work/data1" 300
    for i in $daemons; do wrk_run $i "$warm" 64 0 >/dev/null; done   # warms the JIT of each
    declare -A sat=()
    for scenario in 0:32 0:256 50:16; do
      b=${scenario%:*}; c=${scenario#*:}
      for r in $(seq "$rounds"); do
        line=""
        for i in $daemons; do
          p=$(eval echo "\$pid_$i"); c0=$(cpu_of "$p"); x0=$(ctx_of "$p"); g0=$(groups_of $i); out=$(wrk_run $i "$secs" "$c" "$b"); c1=$(cpu_of "$p"); x1=$(ctx_of "$p"); g1=$(groups_of $i)
          n=$(sed -E 's/.*requests=([0-9]+) non2xx=([0-9]+).*/\1 - \2/' <<<"$out"); n=$(( n ))
          t=$(( n * (b > 0 ? b : 1) / secs ))
          eval "t$i=$t"; [ "$b" != 0 ] || [ "$t" -le "${sat[$i]:-0}" ] || sat[$i]=$t
          line+=" $(name $i) $t tokens/s, $(awk -v c=$((c1 - c0)) -v hz="$hz" -v n=$(( n * (b > 0 ? b : 1) )) 'BEGIN{printf "%.0f", c/hz*1e6/n}') us CPU/token, $(awk -v x=$((x1 - x0)) -v n=$(( n * (b > 0 ? b : 1) )) 'BEGIN{printf "%.2f", x/n}') context switches/token, $([ $((g1 - g0)) -le 0 ] || awk -v g=$((g1 - g0)) -v n="$n" 'BEGIN{printf "%.1f requests per fdatasync, ", n/g}')($(sed -E 's/.*(non2xx=[0-9]+).*(p50=[^ ]+ p99=[^ ]+).*/\1 \2/' <<<"$out"));"
        done
        echo "== $([ "$b" = 0 ] && echo single-token || echo "batch of $b"), $c connections, round $r:$line sync/none=$(awk -v a="$t1" -v b="$t0" 'BEGIN{printf "%.2f", a/b}')$([ -z "${t2:-}" ] || awk -v a="$t2" -v b="$t0" 'BEGIN{printf " sync-baseline/none=%.2f", a/b}')"
      done
    done
    # p99 at half saturation: the same offered rate (half of none's best single-token rate) to both, open loop
    # per connection (h2load --rps), 64 connections
    half=$(( ${sat[0]} / 2 / 64 )); [ "$half" -ge 1 ] || half=1
    for i in $daemons; do
      h2 $i "$secs" 64 "$work/half$i.log" --rps="$half" >/dev/null
      echo "== $(name $i), paced at half of none's saturation (64 connections x $half req/s = $((64 * half)) offered): $(lat "$work/half$i.log")"
    done
    ;;
  compare)
    a="${1:?REV_A}"; b="${2:?REV_B}"; secs="${3:-10}"; rounds="${4:-3}"; i=0
    for rev in "$a" "$b"; do
      if [ -x "$rev/bin/signet" ]; then   # an unpacked release (e.g. a copy of .signet/install/current): no build
        start_daemon $i "$rev/bin/signet" signet.audit.durability=none; i=$((i + 1)); continue
      fi
      wt="$work/wt$i"; git -C "$root" worktree add -q --detach "$wt" "$rev"
      # builds that commit's release (older commits' Signet has no --version and exits non-zero after building)
      (cd "$wt" && ./ops/bin/signet --version >/dev/null 2>&1 || true)
      if [ -x "$wt/.signet/install/current/bin/signet" ]; then l="$wt/.signet/install/current/bin/signet"; else l="$wt/ops/bin/signet"; fi
      # audit.durability exists from 214ba8b on; older daemons have no audit trail and refuse unknown --set keys
      if git -C "$root" merge-base --is-ancestor 214ba8b "$rev" 2>/dev/null; then
        start_daemon $i "$l" signet.audit.durability=none
      else
        start_daemon $i "$l"
      fi
      i=$((i + 1))
    done
    for i in 0 1; do wrk_run $i "$warm" 32 0 >/dev/null; done
    for r in $(seq "$rounds"); do
      for i in 0 1; do
        p=$(eval echo "\$pid_$i"); c0=$(cpu_of "$p"); out=$(wrk_run $i "$secs" 32 0); c1=$(cpu_of "$p")
        n=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$out")
        echo "== round $r $([ $i = 0 ] && echo "$a" || echo "$b"): $(awk -v c=$((c1 - c0)) -v hz="$hz" -v n="$n" 'BEGIN{printf "%.1f", c/hz*1e6/n}') us daemon CPU per token | $out"
      done
    done
    for i in 0 1; do [ ! -d "$work/wt$i" ] || git -C "$root" worktree remove --force "$work/wt$i"; done
    ;;
  profile)
    secs="${1:-20}"; build_release; keep="${SIGNET_BENCH_KEEP:-/tmp}/signet-profile-$(date +%H%M%S)"; mkdir -p "$keep"
    SIGNET_AOT=off SIGNET_JAVA_OPTS="${SIGNET_BENCH_JAVA_OPTS:-} -Xlog:gc,safepoint:file=$keep/gc.log:uptime" \
      start_daemon 0 "$launcher" signet.audit.durability="${SIGNET_BENCH_AUDIT:-none}"
    jbin="$(dirname "$(readlink -f "/proc/$pid_0/exe")")"
    "$jbin/jfr" configure --input profile --output "$keep/latency.jfc" jdk.JavaMonitorEnter#threshold=1ms \
      jdk.JavaMonitorWait#threshold=1ms jdk.ThreadPark#threshold=1ms jdk.VirtualThreadPinned#threshold=1ms \
      jdk.SafepointBegin#enabled=true jdk.ObjectAllocationSample#throttle=300/s jdk.CPUTimeSample#enabled=true \
      jdk.CPUTimeSample#throttle=1ms >/dev/null
    h2 0 "$warm" 32 "$work/warm.log" >/dev/null
    # run-queue wait: the daemon's threads runnable while no core ran them (schedstat field 2, ns)
    rq() { cat /proc/"$pid_0"/task/*/schedstat 2>/dev/null | awk '{w += $2; r += $1} END {printf "%.0f %.0f\n", r, w}'; }
    phase() { # phase NAME [h2load args]
      local name="$1"; shift; read -r r0 w0 < <(rq); local l=$(( $(wc -l <"$keep/gc.log") + 1 ))
      "$jbin/jcmd" "$pid_0" JFR.start name="$name" settings="$keep/latency.jfc" filename="$keep/$name.jfr" >/dev/null
      h2 0 "$secs" 32 "$work/$name.log" "$@" >"$work/$name.out"
      "$jbin/jcmd" "$pid_0" JFR.stop name="$name" >/dev/null
      read -r r1 w1 < <(rq); n=$(awk -F'\t' '$2 == 201' "$work/$name.log" | wc -l)
      echo "== $name: $(lat "$work/$name.log"); per request: daemon CPU $(( (r1 - r0) / 1000 / (n > 0 ? n : 1) )) us," \
        "run-queue wait $(( (w1 - w0) / 1000 / (n > 0 ? n : 1) )) us (summed over threads); $keep/$name.jfr"
      echo "   stop-the-world: $(pauses "$keep/gc.log" "$l")"
      echo "-- CPU by layer (ops/bench/cpu-layers.py)"; python3 "$root/ops/bench/cpu-layers.py" "$keep/$name.jfr" "$jbin/jfr"
      for v in hot-methods contention-by-site pinned-threads gc-pauses allocation-by-site; do
        echo "-- jfr view $v"; "$jbin/jfr" view --width 160 "$v" "$keep/$name.jfr" 2>&1 | sed -n '4,16p'
      done
    }
    phase saturation
    rps=$(sat_rps "$work/saturation.out")
    half=$(( rps / 2 / 32 )); [ "$half" -ge 1 ] || half=1
    echo "== saturation was $rps req/s; next: paced at 32 x $half req/s"
    phase half --rps="$half"
    echo "== GC and safepoint log: $keep/gc.log"
    ;;
  paced)
    secs="${1:-20}"; build_release
    for audit in none sync; do
      start_daemon 0 "$launcher" signet.audit.durability=$audit
      h2 0 "$warm" 32 "$work/warm.log" >/dev/null
      h2 0 "$secs" 32 "$work/sat.log" >"$work/sat.out"
      rps=$(sat_rps "$work/sat.out")
      half=$(( rps / 2 )); per=$(( half / 32 )); [ "$per" -ge 1 ] || per=1
      echo "== audit $audit: saturation $rps req/s (32 connections), $(lat "$work/sat.log"); half: $half req/s"
      h2 0 "$secs" 32 "$work/h2.log" --rps="$per" >/dev/null
      echo "   h2load --rps, 32 connections x $per/s: $(lat "$work/h2.log"); $(bursts "$work/h2.log")"
      even 0 "$half" "$secs" "$work/even.log" /v1/tokens "$work/body.json" "Authorization: Bearer $token" \
        'Content-Type: application/json' >/dev/null
      echo "   evenly spaced (ops/bench/paced.c), 32 connections: $(lat "$work/even.log"); $(bursts "$work/even.log")"
      even 0 "$half" "$secs" "$work/floor.log" /.well-known/jwks.json >/dev/null
      echo "   the floor, GET JWKS evenly spaced at the same rate: $(lat "$work/floor.log" 200); $(bursts "$work/floor.log")"
      kill "$pid_0"; wait "$pid_0" 2>/dev/null || true
    done
    ;;
  gc)
    # gc [SECONDS] [ROUNDS] [OPTIONS ...]: each OPTIONS word is one daemon's JVM options, commas for spaces
    # (default: -XX:+UseG1GC -XX:+UseZGC -XX:+UseParallelGC)
    secs="${1:-10}"; rounds="${2:-2}"; shift $(( $# < 2 ? $# : 2 )); build_release
    opts=("$@"); [ "${#opts[@]}" -gt 0 ] || opts=(-XX:+UseG1GC -XX:+UseZGC -XX:+UseParallelGC); i=0
    for opt in "${opts[@]}"; do
      SIGNET_AOT=off SIGNET_JAVA_OPTS="${opt//,/ } -Xlog:safepoint:file=$work/gc$i.log:uptime" \
        start_daemon $i "$launcher" signet.audit.durability=none
      i=$((i + 1))
    done
    n=${#opts[@]}
    for i in $(seq 0 $((n - 1))); do h2 $i "$warm" 32 "$work/warm.log" >/dev/null; done
    for r in $(seq "$rounds"); do
      for i in $(seq 0 $((n - 1))); do
        l=$(( $(wc -l <"$work/gc$i.log") + 1 )); p=$(eval echo "\$pid_$i"); c0=$(cpu_of "$p")
        rm -f "$work/gc.log"; h2 $i "$secs" 32 "$work/gc.log" >"$work/gc.out"   # h2load appends to its log
        c1=$(cpu_of "$p"); ok=$(awk -F'\t' '$2 == 201' "$work/gc.log" | wc -l)
        rps=$(sat_rps "$work/gc.out")
        echo "== round $r ${opts[$i]}: $rps req/s, $(awk -v c=$((c1 - c0)) -v hz="$hz" -v n="$ok" 'BEGIN{printf "%.1f", c/hz*1e6/(n > 0 ? n : 1)}') us daemon CPU per token, $(lat "$work/gc.log"); stop-the-world: $(pauses "$work/gc$i.log" "$l")"
      done
    done
    ;;
  *) echo "http.sh: fairness, overload, audit, compare, profile, paced or gc, not '$what'" >&2; exit 2 ;;
esac
