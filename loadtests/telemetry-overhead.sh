#!/usr/bin/env bash
# What metrics and tracing cost: ParseIntent over gRPC against two gateways, one with telemetry on (the default) and
# one with Diagnostics__Telemetry=false, measured from outside with h2load in alternating rounds. Reports requests/s
# and server CPU per request (from /proc) — the CPU figure is the one to trust on shared cores.
# usage: loadtests/telemetry-overhead.sh [requests per round, default 100000] [rounds, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-100000}
rounds=${2:-5}
prompt='Build a todo app with authentication and a dashboard using React, Node and PostgreSQL.'

dotnet build src/GRump.Gateway -c Release -nologo -clp:ErrorsOnly >/dev/null
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
source loadtests/lib.sh
declare -A url pid
for mode in on off; do
  telemetry=true; [ "$mode" = off ] && telemetry=false
  Diagnostics__Telemetry=$telemetry Gateway__GrpcPort=0 Gateway__HttpPort=0 Gateway__DataPath="$work/data-$mode" \
    dotnet src/GRump.Gateway/bin/Release/net10.0/GRump.Gateway.dll >"$work/$mode.log" 2>&1 &
  pid[$mode]=$!
  pids+=($!)
done
for mode in on off; do
  for _ in $(seq 1 200); do grep -q 'Listening grpc=' "$work/$mode.log" && break; sleep 0.1; done
  url[$mode]=$(sed -n 's/.*Listening grpc=\(http:[^ ]*\) .*/\1/p' "$work/$mode.log")
  [ -n "${url[$mode]}" ] || { cat "$work/$mode.log"; exit 1; }
done

/usr/bin/python3 loadtests/grpc-frame.py "$prompt" "$work/body.bin"
method=grump.gateway.v1.IntentService/ParseIntent
for mode in on off; do grpc_ok "${url[$mode]}/$method" "$work/body.bin"; done # h2load counts any HTTP 200 as success
run() { h2load_grpc "${pid[$1]}" "${url[$1]}/$method" "$work/body.bin" "$2"; } # mode, requests -> "rps cpu_us_per_request"
declare -A rps cpu
for mode in on off; do run "$mode" 20000 >/dev/null; done
for _ in $(seq 1 "$rounds"); do
  for mode in on off; do
    read -r r c < <(run "$mode" "$requests")
    rps[$mode]="${rps[$mode]:-} $r"; cpu[$mode]="${cpu[$mode]:-} $c"
  done
done
on_r=$(median <<<"${rps[on]}"); off_r=$(median <<<"${rps[off]}"); on_c=$(median <<<"${cpu[on]}"); off_c=$(median <<<"${cpu[off]}")
echo "| telemetry | req/s (median of $rounds) | server CPU µs/request |"
echo "|---|---:|---:|"
echo "| on | $on_r | $on_c |"
echo "| off | $off_r | $off_c |"
awk -v a="$on_r" -v b="$off_r" -v c="$on_c" -v d="$off_c" 'BEGIN { printf "throughput on/off: %.1f %%; CPU per request on/off: %.2f×\n", 100 * a / b, c / d }'
