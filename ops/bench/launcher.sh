#!/usr/bin/env bash
# launcher.sh: what the release's bin/signet itself costs per start (finding the JDK, the start-up cache's key),
# without a JVM: `bin/signet cache` (which prints the cache's paths and exits) CALLS times per round, the variants
# interleaved round by round (A B A B ...), so a machine whose load drifts treats them alike.
# usage: ops/bench/launcher.sh [ROUNDS, default 10] [CALLS, default 20] LABEL:RELEASE_DIR[:CACHE_DIR] ...
#   default variant: current:<this checkout's release>. Runs in the caller's environment (JAVA_HOME set or not:
#   `env -u JAVA_HOME ops/bench/launcher.sh ...` for the launcher's own search).
# Per variant: CPU ms per call (user + system of the launcher and every process it starts) and wall ms per call,
# medians over the rounds, and the median of the rounds' ratios to the first variant. Each variant's start-up
# cache is made once before the rounds (in CACHE_DIR, else a temporary directory) and not counted.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-10}"; calls="${2:-20}"; shift 2 || shift $# || true
variants=("$@")
[ "${#variants[@]}" -gt 0 ] || variants=("current:$(readlink -f "$root/.signet/install/current")")
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "-")}'; }
label=(); rel=(); cdir=()
for v in "${variants[@]}"; do
  IFS=: read -r l r c <<<"$v"
  label+=("$l"); rel+=("$(readlink -f "$r")"); cdir+=("${c:-$work/cache/${#label[@]}}")
done
for i in "${!label[@]}"; do
  SIGNET_CACHE_DIR="${cdir[$i]}" "${rel[$i]}/bin/signet" cache >/dev/null
  : >"$work/cpu.$i"; : >"$work/wall.$i"
done
TIMEFORMAT='%R %U %S'
for ((r = 0; r < rounds; r++)); do
  for i in "${!label[@]}"; do
    t="$( { time for ((c = 0; c < calls; c++)); do
              SIGNET_CACHE_DIR="${cdir[$i]}" "${rel[$i]}/bin/signet" cache >/dev/null; done; } 2>&1 )"
    read -r wall user sys <<<"$t"
    awk -v u="$user" -v s="$sys" -v n="$calls" 'BEGIN {printf "%.2f\n", (u + s) * 1000 / n}' >>"$work/cpu.$i"
    awk -v w="$wall" -v n="$calls" 'BEGIN {printf "%.2f\n", w * 1000 / n}' >>"$work/wall.$i"
  done
done
echo "launcher alone (bin/signet cache), $rounds rounds of $calls calls, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %14s %14s %18s %18s\n' variant 'CPU ms/call' 'wall ms/call' 'CPU ratio (range)' 'wall ratio (range)'
for i in "${!label[@]}"; do
  cr="$(paste "$work/cpu.$i" "$work/cpu.0" | awk '{printf "%.3f\n", $1 / $2}' | sort -n)"
  wr="$(paste "$work/wall.$i" "$work/wall.0" | awk '{printf "%.3f\n", $1 / $2}' | sort -n)"
  printf '%-12s %14s %14s %18s %18s\n' "${label[$i]}" "$(median <"$work/cpu.$i")" "$(median <"$work/wall.$i")" \
    "$(median <<<"$cr") ($(head -n1 <<<"$cr")-$(tail -n1 <<<"$cr"))" "$(median <<<"$wr") ($(head -n1 <<<"$wr")-$(tail -n1 <<<"$wr"))"
done
