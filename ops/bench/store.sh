#!/usr/bin/env bash
# store.sh: tokens/s with the file store against the PostgreSQL store, same run, rounds alternating between two
# `signet dev` daemons (direct mode, software backend, durable audit in both), and how many PostgreSQL
# transactions the PostgreSQL daemon made while it signed: the signing path must not touch the database, so they
# are only its periodic journal re-reads and listener pings, whatever the token count.
# usage: ops/bench/store.sh [SECONDS per phase, default 10] [ROUNDS, default 3]
# Needs wrk and PostgreSQL's server binaries (Debian: wrk, postgresql; SIGNET_PG_BIN for another location).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
secs="${1:-10}"; rounds="${2:-3}"
command -v wrk >/dev/null || { echo "store.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }
pgbin="${SIGNET_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
[ -x "$pgbin/initdb" ] || { echo "store.sh: no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 2; }
"$root/ops/bin/signet" --version >/dev/null   # builds and installs the release when the sources changed
signet="$root/.signet/install/current/bin/signet"

work="$(mktemp -d)"; chmod 755 "$work"
pgport=18532; pw="bench-$RANDOM$RANDOM$RANDOM"; minter="bench-minter-$RANDOM$RANDOM"
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  as_pg "'$pgbin/pg_ctl' -D '$work/pg/data' -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/pg"; printf '%s\n' "$pw" >"$work/pg/pw"
[ "$(id -u)" = 0 ] && chown -R postgres "$work/pg"
as_pg "'$pgbin/initdb' -D '$work/pg/data' -U signet --auth=scram-sha-256 --pwfile='$work/pg/pw'" >/dev/null
as_pg "'$pgbin/pg_ctl' -D '$work/pg/data' -l '$work/pg/log' -w \
  -o \"-p $pgport -k '$work/pg' -c listen_addresses=127.0.0.1\" start" >/dev/null
export PGPASSWORD="$pw"
psql_q() { "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U signet -d "$1" -Atqc "$2"; }
psql_q postgres "CREATE DATABASE signet" >/dev/null
(umask 077; printf '%s\n' "$pw" >"$work/pgpass")

start() {   # name port admin-port [--set ...]
  local name="$1" port="$2" admin="$3"; shift 3
  SIGNET_DEV_MINTER_TOKEN="$minter" SIGNET_DEV_ADMIN_TOKEN="bench-admin" \
    "$signet" dev --port "$port" --admin-port "$admin" --data-dir "$work/$name" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  until curl -sf "http://127.0.0.1:$admin/observe/health" >/dev/null 2>&1; do
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "store.sh: $name died:" >&2; tail -30 "$work/$name.log" >&2; exit 1; }
    sleep 0.1
  done
}
start file 18580 19580
start postgres 18581 19581 --set signet.store.type=postgres \
  --set "signet.store.url=jdbc:postgresql://127.0.0.1:$pgport/signet" --set signet.store.user=signet \
  --set "signet.store.password-file=$work/pgpass"

xacts() { psql_q postgres "SELECT pg_stat_force_next_flush(); SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'signet'" | tail -1; }
run() {   # port seconds -> tokens/s
  SIGNET_TOKEN="$minter" SIGNET_BATCH=0 wrk -t1 -c32 -d"${2}s" -s "$root/ops/bench/mint.lua" "http://127.0.0.1:$1" \
    | grep '^wrk:' | sed -E 's/.*requests\/s=([0-9]+).*/\1/'
}
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on loopback"
echo "== warm-up: $secs s on each"
run 18580 "$secs" >/dev/null; run 18581 "$secs" >/dev/null
ratios=()
for r in $(seq "$rounds"); do
  f=$(run 18580 "$secs")
  x0=$(xacts); p=$(run 18581 "$secs"); x1=$(xacts)
  ratio=$(awk -v p="$p" -v f="$f" 'BEGIN{printf "%.2f", p/f}'); ratios+=("$ratio")
  echo "round $r: file store $f tokens/s, PostgreSQL store $p tokens/s (ratio $ratio);" \
    "PostgreSQL transactions while the PostgreSQL daemon signed $((p * secs)) tokens: $((x1 - x0))"
done
echo "== ratio PostgreSQL/file per round: ${ratios[*]} (single-token POST /v1/tokens, wrk 32 connections, ${secs}s phases)"
