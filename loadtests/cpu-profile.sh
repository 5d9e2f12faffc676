#!/usr/bin/env bash
# Where the gateway's CPU goes on one load-runner scenario: starts the fake upstream and the gateway (heuristic routing,
# JIT'd frames named for perf), warms 20 s at c=32, then runs SCENARIO at CONCURRENCY for 16 s while `perf record`
# samples the gateway for 8 s. Prints the runner's row (rps, latency, CPU and allocation per call), context switches
# per call (voluntary = slept, involuntary = preempted or yielded: sched_yield spinning shows up here) and the samples
# by what they were doing (loadtests/cpu-profile.py). Needs perf (apt: linux-perf) and a Release build.
# usage: loadtests/cpu-profile.sh [scenario=chat-grpc-named] [concurrency=32] [VAR=value ...]
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-chat-grpc-named}
concurrency=${2:-32}
shift $(( $# < 2 ? $# : 2 ))
command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)" >&2; exit 2; }
[ -n "${NO_BUILD:-}" ] || dotnet build GRump.Gateway.sln -c Release -nologo -clp:ErrorsOnly >/dev/null
runner=loadtests/GRump.LoadTests/bin/Release/net10.0/GRump.LoadTests.dll
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
source loadtests/lib.sh
start_fake
# PerfMapEnabled writes /tmp/perf-PID.map; with W^X on, JIT'd code runs from a memfd mapping perf cannot name.
start_gateway Routing__Strategy=heuristic DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 "$@"
run() { dotnet "$runner" --gateway-grpc "$gateway_grpc" --gateway-http "$gateway_http" --upstream "$fake" \
  --gateway-pid "$gateway_pid" --no-progress --out "$work/out" "$@"; }
switches() { cat /proc/"$gateway_pid"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/ {v += $2} /^nonvoluntary_ctxt/ {n += $2} END {print v, n}'; }

run --scenario "$scenario" --duration 20s --warmup 1s --concurrency 32 >/dev/null # tiered JIT settles (~20 s)
(sleep 4; perf record -F 2000 -e cpu-clock -g -p "$gateway_pid" -o "$work/perf.data" -- sleep 8 >/dev/null 2>&1) &
profiler=$!
read -r v0 n0 < <(switches)
row=$(run --scenario "$scenario" --duration 16s --warmup 0s --concurrency "$concurrency" | grep -E "^(scenario |$scenario +c=$concurrency +[0-9])" | grep -v -E "[0-9] rps ")
read -r v1 n1 < <(switches)
wait "$profiler"
echo "$row"
calls=$(awk -v s="$scenario" '$1 == s {print $3}' <<<"$row")
awk -v v=$((v1 - v0)) -v n=$((n1 - n0)) -v c="$calls" 'BEGIN {printf "context switches per call: %.1f voluntary, %.1f involuntary\n", v / c, n / c}'
perf script -i "$work/perf.data" 2>/dev/null | python3 loadtests/cpu-profile.py
rm -f "/tmp/perf-$gateway_pid.map" "/tmp/perfinfo-$gateway_pid.map"
