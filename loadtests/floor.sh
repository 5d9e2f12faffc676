#!/usr/bin/env bash
# The floor of this stack (issue 22): what a proxied gRPC chat call costs with nothing of the gateway in it, next to the
# gateway and the upstream alone, in alternating rounds on the same machine. Three targets:
#   direct  — the fake upstream alone (the load runner's chat-direct: OpenAI JSON over HTTP/1.1)
#   floor   — GRump.Benchmarks `proxy-floor`: Kestrel (h2c) + grpc-dotnet serving ChatService.Complete, each call sent
#             upstream with a bare HttpClient and the answer's text returned; no key, limit, budget, routing, cache,
#             metering, ledger, metrics or logs (loadtests/GRump.Benchmarks/Endpoints/ProxyFloor.cs)
#   gateway — the gateway as shipped (its default settings; the model is named, so nothing is routed; cache off)
# floor and gateway get the same calls (the load runner's chat-grpc-named). Per round and target: c=32 for SECONDS,
# then c=1 for SECONDS; rps, p50/p99 and the server's CPU per call (from /proc). RSS of floor and gateway ~30 s after
# start, and their peak (VmHWM) at the end.
#
# usage: [SPIN=N] loadtests/floor.sh [rounds, default 3] [seconds, default 8]
#   SPIN=N runs both servers with the thread pool's spin limit N (the runtime's default is 70; the gateway ships 0)
# The load runner, the fake and both servers share the machine's cores: compare rows of one run, not runs.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
seconds=${2:-8}
[ -n "${NO_BUILD:-}" ] || dotnet build GRump.Gateway.sln -c Release -nologo -clp:ErrorsOnly >/dev/null
dotnet build loadtests/GRump.Benchmarks -c Release -nologo -clp:ErrorsOnly >/dev/null
runner=loadtests/GRump.LoadTests/bin/Release/net10.0/GRump.LoadTests.dll
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
source loadtests/lib.sh

start_fake
spin=${SPIN:-0}
start_gateway DOTNET_ThreadPool_UnfairSemaphoreSpinLimit="$spin"
# The gateway's runtime settings (its runtimeconfig: workstation GC, ConserveMemory 5, no thread-pool spin unless
# SPIN says otherwise), so the two differ only in what they do per call.
DOTNET_gcServer=0 DOTNET_GCConserveMemory=5 DOTNET_ThreadPool_UnfairSemaphoreSpinLimit="$spin" \
  dotnet loadtests/GRump.Benchmarks/bin/Release/net10.0/GRump.Benchmarks.dll proxy-floor --upstream "$fake" >"$work/floor.log" 2>&1 &
floor_pid=$!
pids+=("$floor_pid")
for _ in $(seq 1 200); do grep -q '^Serving' "$work/floor.log" && break; sleep 0.1; done
floor=$(sed -n 's/^Serving \([^ ]*\).*/\1/p' "$work/floor.log")
[ -n "$floor" ] || { cat "$work/floor.log" >&2; exit 1; }
for _ in $(seq 1 120); do [ "$(curl -s "$gateway_http/readyz")" = Healthy ] && break; sleep 0.5; done
sleep 30
echo "RSS ~30 s after start: floor $(rss_mib "$floor_pid") MiB, gateway $(rss_mib "$gateway_pid") MiB"

# row TARGET CONCURRENCY SECONDS → "target c rps p50 p99 cpu-µs-per-call" from the load runner's table
row() {
  local target=$1 c=$2 s=$3 scenario grpc=$gateway_grpc pid=$gateway_pid
  case $target in
    direct) scenario=chat-direct pid=$fake_pid ;;
    floor) scenario=chat-grpc-named grpc=$floor pid=$floor_pid ;;
    gateway) scenario=chat-grpc-named ;;
  esac
  dotnet "$runner" --gateway-grpc "$grpc" --gateway-http "$gateway_http" --upstream "$fake" --gateway-pid "$pid" \
    --upstream-pid "$fake_pid" --no-progress --out "$work/out" --scenario "$scenario" --duration "${s}s" --warmup 1s \
    --concurrency "$c" | awk -v t="$target" -v sc="$scenario" -v c="c=$c" '$1 == sc && $2 == c && $3 ~ /^[0-9]+$/ && $4 ~ /^[0-9]+$/ {
      if ($11 != 0) { print t ": " $11 " errors" > "/dev/stderr"; exit 1 }
      print t, c, $4, $5, $8, $14 }'
}

row floor 32 15 >/dev/null # warm-up: tier-1 JIT of both request paths
row gateway 32 15 >/dev/null
echo "| round | target | load | rps | p50 ms | p99 ms | server CPU µs/call |"
echo "|---:|---|---|---:|---:|---:|---:|"
for r in $(seq 1 "$rounds"); do
  for c in 32 1; do
    for target in direct floor gateway; do
      row "$target" "$c" "$seconds" | awk -v r="$r" '{printf "| %s | %s | %s | %s | %s | %s | %s |\n", r, $1, $2, $3, $4, $5, $6}'
    done
  done
done
echo "peak RSS (VmHWM): floor $(hwm_mib "$floor_pid") MiB, gateway $(hwm_mib "$gateway_pid") MiB"
