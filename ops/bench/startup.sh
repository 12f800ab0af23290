#!/usr/bin/env bash
# startup.sh: start-up figures of installed releases, variants interleaved run by run (A B C A B C ...), so a
# machine whose load drifts treats them alike.
# usage: ops/bench/startup.sh [RUNS, default 5] [LABEL:RELEASE_DIR:AOT[:JAVA_HOME[:JVM_OPTIONS]] ...]
#   default variants: cache:<this checkout's release>:on  nocache:<this checkout's release>:off
#   AOT on/off is SIGNET_AOT; JAVA_HOME picks the runtime (e.g. one made by ops/bench/jlink-runtime.sh), empty for
#   the launcher's choice; JVM_OPTIONS (the rest of the argument, colons and spaces included) go in
#   SIGNET_JAVA_OPTS, so such a variant gets a cache of its own, e.g.
#   'noreplay:R:on::-XX:+UnlockDiagnosticVMOptions -XX:-AOTReplayTraining'.
# Per run: `bin/signet dev` (software backend, empty data directory: a new issuer) from exec to the first 200 of
# /observe/health (polled every 5 ms from this shell, without a process per attempt): wall ms, the JVM's CPU ms at
# that moment, and of that the main thread's and the JIT compilers'; where the main thread's wall time went (its
# schedstat): before it existed (the launcher, the JVM's own launcher), on a CPU, runnable but waiting for one
# (preempted, e.g. by the JIT on 2 cores), and neither (blocked: fsyncs, GC pauses, waits on other threads, and
# parked once serving until the poll saw it); then two
# `bin/signet keys list` round trips against it (wall and CPU ms, /usr/bin/time); then a restart on the same data
# directory, timed the same way.
# Prints medians per variant. Each variant's start-up cache is made once before the runs and not counted.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs="${1:-5}"; shift || true
[ -n "$runs" ] || runs=5
current="$(readlink -f "$root/.signet/install/current")"
variants=("$@")
[ "${#variants[@]}" -gt 0 ] || variants=("cache:$current:on" "nocache:$current:off")
work="$(mktemp -d)"; pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
export SIGNET_DEV_MINTER_TOKEN=bench-minter-0123456789abcdef \
       SIGNET_DEV_ADMIN_TOKEN=bench-admin-0123456789abcdef SIGNET_ADMIN_TOKEN=bench-admin-0123456789abcdef
port=18680; admin=19680; tck="$(getconf CLK_TCK)"
median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "-")}'; }
# The poll must not compete with the daemon for the two cores: each curl took 10-27 ms of CPU, each `sleep` and
# `date` a process of its own, dozens of them per start. These run inside this shell (STARTUP_POLL=curl: as before).
now_ms() { ms="${EPOCHREALTIME/./}"; ms=$(( ms / 1000 )); }                    # sets ms
uptime_cs() { read -r cs _ </proc/uptime; cs="${cs/./}"; cs=$(( 10#$cs )); }  # sets cs: since boot, 10 ms ticks
mkfifo "$work/never"; exec 4<>"$work/never"                                      # read -t on it sleeps in-process
healthy() { # whether GET /observe/health on the admin socket answers 200
  local status=""
  if [ "${STARTUP_POLL:-}" = curl ]; then curl -sf -o /dev/null "http://127.0.0.1:$admin/observe/health"; return; fi
  { exec 5<>"/dev/tcp/127.0.0.1/$admin"; } 2>/dev/null || return 1
  printf 'GET /observe/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&5
  read -r -t 10 status <&5 || true
  exec 5<&- 5>&-
  [[ "$status" == "HTTP/1.1 200 "* ]]
}
pause() { if [ "${STARTUP_POLL:-}" = curl ]; then sleep 0.01; else read -r -t 0.005 -u 4 || true; fi; }
cpu_ms() { local s; s="$(cat "$1")"; s="${s##*) }"; set -- $s; echo $(( (${12} + ${13}) * 1000 / tck )); }

# variant i -> label, release, aot, java home (empty: the launcher's own choice), SIGNET_JAVA_OPTS
label=(); rel=(); aot=(); jh=(); jo=()
for v in "${variants[@]}"; do
  IFS=: read -r l r a j o <<<"$v"
  label+=("$l"); rel+=("$(readlink -f "$r")"); aot+=("${a:-on}"); jh+=("${j:-}"); jo+=("${o:-}")
done
envs() { # the environment of variant $1, for env(1); a cache directory each (the launcher keeps three caches)
  ev=("SIGNET_AOT=${aot[$1]}" "SIGNET_CACHE_DIR=$work/cache/$1"); [ -z "${jh[$1]}" ] || ev+=("JAVA_HOME=${jh[$1]}")
  [ -z "${jo[$1]}" ] || ev+=("SIGNET_JAVA_OPTS=${jo[$1]}")
}
for i in "${!label[@]}"; do
  for f in healthy cpu main jit pre runq blocked list listcpu re.healthy re.cpu re.main re.jit re.pre re.runq re.blocked
  do : >"$work/$i.$f"; done
  envs "$i"; if [ "${aot[$i]}" = on ]; then (cd "$work" && env "${ev[@]}" "${rel[$i]}/bin/signet" cache >/dev/null); fi
done

start() { # variant $1, figure file prefix $2: starts dev on $work/data, records time to healthy and CPU
  local i="$1" f="$2" t0 up0 up1 main jit c t mt="" s life oncpu runq
  envs "$i"; now_ms; t0=$ms; uptime_cs; up0=$cs
  (cd "$work" && exec env "${ev[@]}" "${rel[$i]}/bin/signet" dev --data-dir "$work/data" --port $port \
     --admin-port $admin >"$work/log" 2>&1) & pid=$!
  until healthy; do
    kill -0 $pid 2>/dev/null || { cat "$work/log" >&2; exit 1; }
    pause
  done
  now_ms; uptime_cs; up1=$cs; echo $(( ms - t0 )) >>"$work/$f.healthy"
  cpu_ms "/proc/$pid/stat" >>"$work/$f.cpu"
  main=0; jit=0
  for t in /proc/$pid/task/*; do
    c="$(cpu_ms "$t/stat" 2>/dev/null)" || continue
    case "$(cat "$t/comm" 2>/dev/null)" in
      java) if [ "$c" -gt "$main" ]; then main=$c; mt=$t; fi ;;
      C1\ Compiler*|C2\ Compiler*) jit=$((jit + c)) ;;
    esac
  done
  echo "$main" >>"$work/$f.main"; echo "$jit" >>"$work/$f.jit"
  # The main thread's life until healthy (from its creation, 10 ms ticks) split by the scheduler's accounting; the
  # figures read after healthy (it is parked by then, serving from other threads).
  s="$(cat "$mt/stat")"; s="${s##*) }"; set -- $s; read -r oncpu runq _ <"$mt/schedstat"
  life=$(( up1 * 10 - ${20} * 1000 / tck ))
  echo $(( ${20} * 1000 / tck - up0 * 10 )) >>"$work/$f.pre"
  echo $(( runq / 1000000 )) >>"$work/$f.runq"
  echo $(( life - oncpu / 1000000 - runq / 1000000 )) >>"$work/$f.blocked"
}
stop() { kill -TERM $pid; wait $pid 2>/dev/null || true; pid=""; }

for n in $(seq "$runs"); do
  for i in "${!label[@]}"; do
    rm -rf "$work/data"
    start "$i" "$i"                   # a new issuer: empty data directory, keys generated
    for j in 1 2; do                  # the keys list round trip, against the daemon just started
      /usr/bin/time -f '%e %U %S' -o "$work/t" env "${ev[@]}" "${rel[$i]}/bin/signet" keys list \
        --admin "http://127.0.0.1:$admin" >/dev/null
      read -r e u s <"$work/t"; echo "$e" | awk '{print int($1*1000)}' >>"$work/$i.list"
      echo "$u $s" | awk '{print int(($1+$2)*1000)}' >>"$work/$i.listcpu"
    done
    stop
    start "$i" "$i.re"                # a restart: the keys are read from the keystore
    stop
  done
done
printf '%-10s %-8s %11s %8s %18s %28s %14s %11s\n' variant start "healthy ms" "CPU ms" "main / JIT CPU ms" \
  "main: pre / runq / blocked ms" "keys list, ms" "its CPU ms"
for i in "${!label[@]}"; do
  for f in "$i" "$i.re"; do
    printf '%-10s %-8s %11s %8s %18s %28s %14s %11s\n' "${label[$i]}" "$([ "$f" = "$i" ] && echo new || echo restart)" \
      "$(median <"$work/$f.healthy")" "$(median <"$work/$f.cpu")" \
      "$(median <"$work/$f.main") / $(median <"$work/$f.jit")" \
      "$(median <"$work/$f.pre") / $(median <"$work/$f.runq") / $(median <"$work/$f.blocked")" \
      "$([ "$f" = "$i" ] && median <"$work/$i.list" || echo)" "$([ "$f" = "$i" ] && median <"$work/$i.listcpu" || echo)"
  done
done
echo "(medians of $runs dev starts and $((runs * 2)) keys list calls per variant; load average $(cut -d' ' -f1-3 /proc/loadavg))"
