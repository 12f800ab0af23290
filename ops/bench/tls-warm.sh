#!/usr/bin/env bash
# ops/bin/bench tls-warm [SECONDS per phase, default 5] [PHASES, default 4] [LAUNCHER_A LAUNCHER_B]
# How warm a TLS daemon starts: two TLS `signet dev` daemons, A and B, each started alone (start-up to healthy,
# then the first token over TLS, timed by curl), then loaded in alternation from their first request on (A, B,
# A, B, ... PHASES each; wrk, 32 keep-alive connections, single tokens): tokens/s and server CPU microseconds per
# token per phase, and the JIT compiler threads' share of it. Without launchers, A is this release without its
# start-up cache (SIGNET_AOT=off) and B with it; with two launchers (two installs' bin/signet) both with theirs.
# A cache is made fresh in a temporary SIGNET_CACHE_DIR first, its making timed (the training run's cost).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
secs="${1:-5}"; phases="${2:-4}"
command -v wrk >/dev/null || { echo "bench tls-warm: needs wrk (apt-get install wrk)" >&2; exit 2; }
data="$(mktemp -d)"; minter="bench-minter-$RANDOM$RANDOM"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$data"' EXIT
declare -A launcher aot
if [ $# -ge 4 ]; then
  launcher=([a]="$3" [b]="$4"); aot=([a]=on [b]=on)
else
  "$root/ops/bin/signet" --version >/dev/null   # builds and installs the release when the sources changed
  launcher=([a]="$root/.signet/install/current/bin/signet" [b]="$root/.signet/install/current/bin/signet")
  aot=([a]=off [b]=on)
fi

pki="$data/pki"; mkdir -p "$pki"
(cd "$pki"
 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=bench-ca \
   -keyout ca-key.pem -out ca.pem -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
 openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost -keyout server-key.pem \
   -out server.csr 2>/dev/null
 openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -days 1 -out server.pem \
   -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n') 2>/dev/null)

ports=(); p=18680
while [ "${#ports[@]}" -lt 4 ]; do
  ss -Htln "sport = :$p" | grep -q . || ports+=("$p"); p=$((p + 1))
done
declare -A port admin pid
port=([a]=${ports[0]} [b]=${ports[1]}); admin=([a]=${ports[2]} [b]=${ports[3]})
hz=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
jit() {
  for t in /proc/"$1"/task/*; do
    if grep -q '^C[12] CompilerThre' "$t/comm" 2>/dev/null; then sed 's/.*) //' "$t/stat" 2>/dev/null || true; fi
  done | awk '{s += $12 + $13} END {print s + 0}'
}
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for side in a b; do
  if [ "${aot[$side]}" = on ]; then
    mkdir -p "$data/cache-$side"
    t0=$(date +%s%N); TIMEFORMAT='%U %S'
    used=$( { time SIGNET_CACHE_DIR="$data/cache-$side" "${launcher[$side]}" cache >/dev/null 2>"$data/cache-$side.log" \
      || { echo "bench tls-warm: $side: signet cache failed:" >&2; cat "$data/cache-$side.log" >&2; exit 1; }; } 2>&1 )
    echo "== $side: start-up cache made (training run) in $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(awk -v u="${used% *}" -v s="${used#* }" 'BEGIN{printf "%.1f", u + s}') CPU-seconds"
  fi
  t0=$(date +%s%N)
  SIGNET_CACHE_DIR="$data/cache-$side" SIGNET_AOT="${aot[$side]}" SIGNET_DEV_MINTER_TOKEN="$minter" \
    SIGNET_DEV_ADMIN_TOKEN=bench-admin "${launcher[$side]}" dev --port "${port[$side]}" --admin-port "${admin[$side]}" \
    --data-dir "$data/$side" --set signet.issuer=https://127.0.0.1:"${port[$side]}" \
    --set signet.tls.certificate="$pki/server.pem" --set signet.tls.private-key="$pki/server-key.pem" \
    >"$data/$side.log" 2>&1 &
  pids+=($!); pid[$side]=$!
  deadline=$(( $(date +%s) + 300 ))
  until curl -sf http://127.0.0.1:"${admin[$side]}"/observe/health >/dev/null 2>&1; do
    kill -0 "${pid[$side]}" 2>/dev/null || { echo "bench tls-warm: $side died:" >&2; tail -30 "$data/$side.log" >&2; exit 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { echo "bench tls-warm: $side not healthy in 300 s" >&2; exit 1; }
    sleep 0.02
  done
  healthy=$(( ($(date +%s%N) - t0) / 1000000 )); c_healthy=$(cpu "${pid[$side]}")
  first=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --cacert "$pki/ca.pem" -X POST \
    -H "Authorization: Bearer $minter" -H 'Content-Type: application/json' \
    -d '{"sub":"agent","aud":"https://a.example","ttl":60,"scope":[{"resource":"repo:acme/widgets","actions":["read"]}]}' \
    https://127.0.0.1:"${port[$side]}"/v1/tokens)
  c_first=$(cpu "${pid[$side]}")
  echo "== $side (${launcher[$side]}, SIGNET_AOT=${aot[$side]}): start-up to healthy $healthy ms ($(( c_healthy * 1000 / hz )) ms of daemon CPU); first token over TLS: HTTP ${first% *} in $(awk -v t="${first#* }" 'BEGIN{printf "%.0f", t * 1000}') ms ($(( (c_first - c_healthy) * 1000 / hz )) ms of daemon CPU)"
done
for phase in $(seq "$phases"); do
  for side in a b; do
    c0=$(cpu "${pid[$side]}"); j0=$(jit "${pid[$side]}")
    line="$(SIGNET_TOKEN="$minter" SIGNET_BATCH=0 wrk -t1 -c32 -d"${secs}s" --timeout 10s -s "$root/ops/bench/mint.lua" \
      https://127.0.0.1:"${port[$side]}" | grep '^wrk:')"
    c1=$(cpu "${pid[$side]}"); j1=$(jit "${pid[$side]}")
    n=$(sed -E 's/.* requests=([0-9]+).*/\1/' <<<"$line")
    echo "== phase $phase $side: $(sed -E 's/.*requests\/s=([0-9]+).*/\1/' <<<"$line") tokens/s; $(awk -v d=$((c1 - c0)) -v j=$((j1 - j0)) -v hz="$hz" -v n="$n" \
      'BEGIN{printf "%.0f server CPU us per token, of which JIT compiler %.0f (%.0f%%)", d/hz*1e6/n, j/hz*1e6/n, (d > 0 ? 100*j/d : 0)}')"
  done
done
