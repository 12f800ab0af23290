#!/usr/bin/env bash
# ops/bin/bench tls [SECONDS per phase, default 10]: TLS 1.3 against plain HTTP in the same run.
# Two dev daemons (software backend, ES256, same configuration) run side by side, one plain and one serving TLS
# with a throwaway CA made here; the load alternates between them, so machine load hits both alike. After
# alternating warm-up phases (two each for single tokens, one for batches), pairs of half-length rounds in
# alternating order (6 pairs single, 4 batch): saturation (wrk, keep-alive) for single tokens and batches of 50,
# tokens per server CPU-second (from the daemon's own utime+stime; also without its JIT compiler threads), p99, and
# the median of the pairs' TLS/plain ratios; then both paced at the same rate (half the plain saturation): p99 and
# again tokens per server CPU-second; then new TLS
# handshakes per second (openssl s_time -new: full TLS 1.3 handshakes, no resumption), without and with a
# client certificate. wrk cannot present a client certificate, so throughput uses a bearer minter over TLS.
# ops/bin/bench tls-profile [SECONDS, default 20]: the same two daemons, each loaded alone at saturation with
# single tokens under a JFR recording (CPU-time sampling); prints where each daemon's CPU goes, in % of its samples
# and in server CPU microseconds per request, plain beside TLS. The recordings stay in ops/bench/target/tls-profile/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
profile=""; if [ "${1:-}" = --profile ]; then profile=1; shift; fi
secs="${1:-$([ -n "$profile" ] && echo 20 || echo 10)}"
command -v wrk >/dev/null || { echo "bench tls: needs wrk (apt-get install wrk)" >&2; exit 2; }
command -v openssl >/dev/null || { echo "bench tls: needs openssl" >&2; exit 2; }
"$root/ops/bin/signet" --version >/dev/null   # builds and installs the release when the sources changed
data="$(mktemp -d)"; minter="bench-minter-$RANDOM$RANDOM"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$data"' EXIT

# A throwaway CA, a server certificate for 127.0.0.1, and a client certificate (an X.509-SVID) for s_time.
pki="$data/pki"; mkdir -p "$pki"
(cd "$pki"
 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=bench-ca \
   -keyout ca-key.pem -out ca.pem -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
 openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost -keyout server-key.pem \
   -out server.csr 2>/dev/null
 openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -days 1 -out server.pem \
   -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n') 2>/dev/null
 openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench-minter -keyout minter-key.pem \
   -out minter.csr 2>/dev/null
 openssl x509 -req -in minter.csr -CA ca.pem -CAkey ca-key.pem -days 1 -out minter.pem \
   -extfile <(printf 'subjectAltName=URI:spiffe://signet.dev/minter/bench\nextendedKeyUsage=clientAuth\n') 2>/dev/null)

start() { # NAME PORT ADMIN_PORT [--set ...]
  local name=$1 port=$2 admin=$3; shift 3
  SIGNET_DEV_MINTER_TOKEN="$minter" SIGNET_DEV_ADMIN_TOKEN="bench-admin" \
    "$root/.signet/install/current/bin/signet" dev --port "$port" --admin-port "$admin" \
    --data-dir "$data/$name" "$@" >"$data/$name.log" 2>&1 &
  pids+=($!)
}
# Four free ports (other benchmarks may hold the usual ones): plain, TLS, and their admin sockets.
ports=(); p=18580
while [ "${#ports[@]}" -lt 4 ]; do
  ss -Htln "sport = :$p" | grep -q . || ports+=("$p"); p=$((p + 1))
done
start plain "${ports[0]}" "${ports[2]}"
start tls "${ports[1]}" "${ports[3]}" --set signet.issuer=https://127.0.0.1:"${ports[1]}" \
  --set signet.tls.certificate="$pki/server.pem" --set signet.tls.private-key="$pki/server-key.pem" \
  --set signet.tls.client-trust.signet.dev="$pki/ca.pem" \
  --set signet.minters.1.name=bench-cert --set signet.minters.1.client-certificate.spiffe-id=spiffe://signet.dev/minter/bench \
  --set 'signet.minters.1.audiences.0=*' --set 'signet.minters.1.resources.0=**' --set 'signet.minters.1.actions.0=*'
plain_pid=${pids[0]}; tls_pid=${pids[1]}
deadline=$(( $(date +%s) + 300 ))
until curl -sf http://127.0.0.1:"${ports[2]}"/observe/health >/dev/null 2>&1 \
   && curl -sf http://127.0.0.1:"${ports[3]}"/observe/health >/dev/null 2>&1; do
  for n in plain tls; do
    kill -0 "${pids[$([ $n = plain ] && echo 0 || echo 1)]}" 2>/dev/null \
      || { echo "bench tls: the $n daemon died; its log:" >&2; tail -30 "$data/$n.log" >&2; exit 1; }
  done
  [ "$(date +%s)" -lt "$deadline" ] || { echo "bench tls: daemons not healthy in 300 s" >&2; exit 1; }
  sleep 0.1
done
url_plain=http://127.0.0.1:${ports[0]}; url_tls=https://127.0.0.1:${ports[1]}
proto="$(curl -s -o /dev/null -w '%{ssl_version}' --cacert "$pki/ca.pem" -X POST "$url_tls/v1/tokens" 2>/dev/null || true)"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(openssl version)"
echo "== two dev daemons, software backend, ES256: plain $url_plain and TLS $url_tls ($(curl -sv --cacert "$pki/ca.pem" "$url_tls/.well-known/jwks.json" 2>&1 >/dev/null | grep -m1 -o 'TLSv1.[0-9] / [A-Z0-9_]*' || echo "$proto"))"

hz=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
jit() { # the JIT compiler threads' ticks: warm-up work, not a request's
  for t in /proc/"$1"/task/*; do
    if grep -q '^C[12] CompilerThre' "$t/comm" 2>/dev/null; then sed 's/.*) //' "$t/stat" 2>/dev/null || true; fi
  done | awk '{s += $12 + $13} END {print s + 0}'
}
run_wrk() { # URL CONNS BATCH [DELAY_MS] -> the wrk: line (a 10 s timeout: a loaded machine must not add reconnects)
  SIGNET_TOKEN="$minter" SIGNET_BATCH="$3" SIGNET_DELAY_MS="${4:-0}" \
    wrk -t1 -c"$2" -d"${secs}s" --timeout 10s -s "$root/ops/bench/mint.lua" "$1" | grep '^wrk:'
}
field() { sed -E "s|.* $1=([0-9.]+).*|\1|" <<<"$2"; }
if [ -n "$profile" ]; then
  out="$root/ops/bench/target/tls-profile"; mkdir -p "$out"
  jhome="$(dirname "$(dirname "$(readlink -f "/proc/$tls_pid/exe")")")"
  for warm in 1 2 3; do   # warm-up, alternating: both JITs
    for which in plain tls; do
      run_wrk "$([ $which = plain ] && echo $url_plain || echo $url_tls)" 32 0 >/dev/null
    done
  done
  threads() { # PID -> "thread-kind ticks" per line, thread names without their numbers
    for t in /proc/"$1"/task/*; do
      echo "$(tr -d '0-9 ' <"$t/comm" | sed 's/[-#]*$//') $(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')"
    done 2>/dev/null | awk '{s[$1] += $2} END {for (k in s) print k, s[k]}'
  }
  for which in plain tls; do   # whose threads spend the CPU (no profiler attached): kernel per-thread accounting
    pid=$([ $which = plain ] && echo "$plain_pid" || echo "$tls_pid")
    url=$([ $which = plain ] && echo $url_plain || echo $url_tls)
    threads "$pid" >"$data/threads.0"; line="$(run_wrk "$url" 32 0)"; threads "$pid" >"$data/threads.1"
    rps=$(field 'requests/s' "$line")
    echo "== $which, no profiler: $rps requests/s; server CPU microseconds per request by thread kind:"
    awk -v hz="$hz" -v r="$rps" -v s="$secs" 'NR == FNR {a[$1] = $2; next} {d = $2 - a[$1]; if (d > 0) {t += d; printf "   %8.1f  %s\n", d / hz * 1e6 / (r * s), $1}}
      END {printf "   %8.1f  total\n", t / hz * 1e6 / (r * s)}' "$data/threads.0" "$data/threads.1" | sort -k1,1nr
  done
  for which in plain tls; do
    pid=$([ $which = plain ] && echo "$plain_pid" || echo "$tls_pid")
    url=$([ $which = plain ] && echo $url_plain || echo $url_tls)
    "$jhome/bin/jcmd" "$pid" JFR.start name=tls-profile settings=profile \
      'jdk.CPUTimeSample#enabled=true' 'jdk.CPUTimeSample#throttle=2ms' >/dev/null
    c0=$(cpu "$pid"); line="$(run_wrk "$url" 32 0)"; c1=$(cpu "$pid")
    "$jhome/bin/jcmd" "$pid" JFR.stop name=tls-profile filename="$out/$which.jfr" >/dev/null
    rps=$(field 'requests/s' "$line")
    us=$(awk -v d=$((c1 - c0)) -v hz="$hz" -v r="$rps" -v s="$secs" 'BEGIN{printf "%.0f", (r > 0 ? d / hz * 1e6 / (r * s) : 0)}')
    echo "== $which: $rps requests/s, $us server CPU microseconds per request (utime+stime over the run)"
    "$jhome/bin/jfr" print --events jdk.CPUTimeSample --stack-depth 400 "$out/$which.jfr" \
      | awk -v us="$us" -v which="$which" -f "$root/ops/bench/tls-profile.awk"
  done
  exit 0
fi
# One measured phase of WHICH (plain|tls): prints the phase's line and sets tps, cores, jcores for the caller.
measure() { # WHICH CONNS BATCH SECONDS [DELAY_MS]
  local which=$1 pid url line c0 c1 j0 j1
  pid=$([ "$which" = plain ] && echo "$plain_pid" || echo "$tls_pid")
  url=$([ "$which" = plain ] && echo "$url_plain" || echo "$url_tls")
  c0=$(cpu "$pid"); j0=$(jit "$pid")
  line="$(secs=$4 run_wrk "$url" "$2" "$3" "${5:-0}")"
  c1=$(cpu "$pid"); j1=$(jit "$pid")
  rps=$(field 'requests/s' "$line"); tps=$(( rps * ($3 > 0 ? $3 : 1) ))
  cores=$(awk -v d=$((c1 - c0)) -v hz="$hz" -v s="$4" 'BEGIN{printf "%.3f", d/hz/s}')
  jcores=$(awk -v d=$((j1 - j0)) -v hz="$hz" -v s="$4" 'BEGIN{printf "%.3f", d/hz/s}')
  p50=$(field p50 "$line"); p99=$(field p99 "$line")
}
per() { awk -v t="$1" -v c="$2" -v j="${3:-0}" 'BEGIN{printf "%.0f", (c - j > 0 ? t/(c - j) : 0)}'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {if (NR % 2) printf "%.2f", a[(NR + 1) / 2]; else printf "%.2f", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
# Rounds are half a phase long and come in pairs, the order alternating (plain first, then TLS first: ABBA), so a
# drift of the machine's load or of the JIT within the run weighs on both sides alike; the figure is the median of
# the pairs' ratios (one disturbed round moves it little), beside the pooled ratio of all rounds.
rsecs=$(( secs / 2 > 3 ? secs / 2 : 3 ))
for batch in 0 50; do
  label=$([ "$batch" = 0 ] && echo "single-token" || echo "batch of $batch")
  conns=$([ "$batch" = 0 ] && echo 32 || echo 4)
  pairs=$([ "$batch" = 0 ] && echo 6 || echo 4)
  warmups=$([ "$batch" = 0 ] && echo 2 || echo 1)
  for warm in $(seq "$warmups"); do   # warm-up, alternating: both JITs (TLS has more code to compile), both sides
    for which in plain tls; do measure "$which" "$conns" "$batch" "$secs"; done
  done
  ratios=""; steady_ratios=""; sat_plain_rps=0
  declare -A sum_t=() sum_c=() sum_j=()
  for pair in $(seq "$pairs"); do
    order=$([ $((pair % 2)) = 1 ] && echo "plain tls" || echo "tls plain")
    declare -A pt=() pc=() pj=()
    for which in $order; do
      measure "$which" "$conns" "$batch" "$rsecs"
      pt[$which]=$tps; pc[$which]=$cores; pj[$which]=$jcores
      sum_t[$which]=$(( ${sum_t[$which]:-0} + tps ))
      sum_c[$which]=$(awk -v a="${sum_c[$which]:-0}" -v b="$cores" 'BEGIN{print a + b}')
      sum_j[$which]=$(awk -v a="${sum_j[$which]:-0}" -v b="$jcores" 'BEGIN{print a + b}')
      [ "$which" = plain ] && sat_plain_rps=$(( sat_plain_rps + rps ))
      printf '== %-13s %-5s pair %d, saturation (%d keep-alive connections, %d s): tokens/s=%d, server %s cores (JIT compiler %s) -> %d tokens per server CPU-second (%d without the JIT); p99=%sms\n' \
        "$label" "$which" "$pair" "$conns" "$rsecs" "$tps" "$cores" "$jcores" "$(per "$tps" "$cores")" "$(per "$tps" "$cores" "$jcores")" "$p99"
    done
    ratios+=" $(awk -v a="$(per "${pt[tls]}" "${pc[tls]}")" -v b="$(per "${pt[plain]}" "${pc[plain]}")" 'BEGIN{printf "%.3f", (b > 0 ? a/b : 0)}')"
    steady_ratios+=" $(awk -v a="$(per "${pt[tls]}" "${pc[tls]}" "${pj[tls]}")" -v b="$(per "${pt[plain]}" "${pc[plain]}" "${pj[plain]}")" 'BEGIN{printf "%.3f", (b > 0 ? a/b : 0)}')"
  done
  pooled=$(awk -v tt="${sum_t[tls]}" -v tc="${sum_c[tls]}" -v pt="${sum_t[plain]}" -v pc="${sum_c[plain]}" 'BEGIN{printf "%.2f", (pc > 0 && tc > 0 ? (tt/tc)/(pt/pc) : 0)}')
  echo "   $label: TLS/plain tokens per server CPU-second, median of $pairs pairs = $(median <<<"$ratios") (target >= 0.85 for single tokens; pairs:$ratios; pooled $pooled); without the JIT compiler threads, median $(median <<<"$steady_ratios")"
  half=$(( sat_plain_rps / pairs / 2 )); [ "$half" -ge 2 ] || half=2
  pconns=$(( (half * 3 + 999) / 1000 )); [ "$pconns" -ge 2 ] || pconns=2
  # At the same rate both daemons amortise the same per-batch costs (audit group commit, polling), and the load
  # generator's own TLS work does not change what the server gets to do: the ratio isolates what TLS costs.
  declare -A paced=() paced_steady=()
  for which in plain tls; do
    measure "$which" "$pconns" "$batch" "$secs" $(( pconns * 1000 / half ))
    paced[$which]=$(per "$tps" "$cores"); paced_steady[$which]=$(per "$tps" "$cores" "$jcores")
    printf '== %-13s %-5s paced at %d req/s (half the plain saturation, %d connections): achieved %s req/s, p50=%sms p99=%sms; %d tokens per server CPU-second (%d without the JIT)\n' \
      "$label" "$which" "$half" "$pconns" "$rps" "$p50" "$p99" "${paced[$which]}" "${paced_steady[$which]}"
  done
  echo "   $label, paced at the same rate: TLS/plain tokens per server CPU-second = $(awk -v t="${paced[tls]}" -v p="${paced[plain]}" 'BEGIN{printf "%.2f", (p > 0 ? t/p : 0)}'); without the JIT compiler threads $(awk -v t="${paced_steady[tls]}" -v p="${paced_steady[plain]}" 'BEGIN{printf "%.2f", (p > 0 ? t/p : 0)}')"
done

# New connections: full TLS 1.3 handshakes (s_time -new never resumes), against the TLS daemon's public socket.
for who in "server-authenticated" "with a client certificate"; do
  extra=(); [ "$who" = "server-authenticated" ] || extra=(-cert "$pki/minter.pem" -key "$pki/minter-key.pem")
  c0=$(cpu "$tls_pid")
  # s_time's "N connections in T real seconds" rounds T to whole seconds: time the run here instead.
  rm -f "$data"/s_time.*; t0=$(date +%s%N)
  par=$(nproc)   # one s_time makes one connection at a time: run one per core so the server, not a client, limits
  clients=()
  for i in $(seq "$par"); do
    openssl s_time -connect "127.0.0.1:${ports[1]}" -new -time "$secs" -CAfile "$pki/ca.pem" "${extra[@]}" >"$data/s_time.$i" 2>&1 &
    clients+=($!)
  done
  wait "${clients[@]}" || true
  t1=$(date +%s%N); c1=$(cpu "$tls_pid")
  n=$(cat "$data"/s_time.* | awk '/real seconds/{n += $1} END{print n + 0}')
  t=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b - a) / 1e9}')
  cores=$(awk -v d=$((c1 - c0)) -v hz="$hz" -v s="$t" 'BEGIN{printf "%.2f", d/hz/s}')
  echo "== new TLS handshakes ($who, $par parallel s_time -new): ${n} in ${t} s -> $(awk -v n="$n" -v t="$t" 'BEGIN{printf "%.0f", (t > 0 ? n/t : 0)}')/s; server $cores cores -> $(awk -v n="$n" -v t="$t" -v c="$cores" 'BEGIN{printf "%.0f", (c > 0 && t > 0 ? n/t/c : 0)}') per server CPU-second"
done
echo "== RSS after the run: plain $(awk '/VmRSS/{print $2/1024 " MiB"}' "/proc/$plain_pid/status"), TLS $(awk '/VmRSS/{print $2/1024 " MiB"}' "/proc/$tls_pid/status")"
