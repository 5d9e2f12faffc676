#!/usr/bin/env bash
# The gateway's added latency on the chat path: /v1/chat/completions through the gateway vs the same request sent
# straight to the fake upstream the gateway forwards to (both Release builds on this machine), JSON and SSE, c=1 and
# c=32. Prints one Markdown table per case (p50/p99/p99.9, requests/s, gateway CPU per request).
# usage: loadtests/chat-overhead.sh [requests per round, default 2000] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-2000}
rounds=${2:-3}

dotnet build GRump.Gateway.sln -c Release -nologo -clp:ErrorsOnly >/dev/null
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

dotnet tests/GRump.FakeUpstream/bin/Release/net10.0/GRump.FakeUpstream.dll --port 0 --chunks 8 >"$work/fake.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^Listening' "$work/fake.log" && break; sleep 0.1; done
fake=$(sed -n 's/^Listening \(http:[^ ]*\).*/\1/p' "$work/fake.log")
[ -n "$fake" ] || { cat "$work/fake.log"; exit 1; }

NVIDIA_NIM_URL=$fake NVIDIA_NIM_API_KEY=bench Gateway__GrpcPort=0 Gateway__HttpPort=0 Gateway__DataPath="$work/data" \
  ASPNETCORE_ENVIRONMENT=Production \
  dotnet src/GRump.Gateway/bin/Release/net10.0/GRump.Gateway.dll >"$work/gateway.log" 2>&1 &
gateway_pid=$!
pids+=($gateway_pid)
for _ in $(seq 1 200); do grep -q 'Listening grpc=' "$work/gateway.log" && break; sleep 0.1; done
http=$(sed -n 's/.*Listening grpc=[^ ]* http=\(http:[^ ]*\).*/\1/p' "$work/gateway.log")
[ -n "$http" ] || { cat "$work/gateway.log"; exit 1; }

bench=loadtests/GRump.Benchmarks/bin/Release/net10.0/GRump.Benchmarks.dll
for mode in "" "--stream"; do
  for c in 1 32; do
    dotnet $bench chat-overhead --gateway "$http/v1/chat/completions" --direct "$fake/v1/chat/completions" \
      --requests "$requests" --rounds "$rounds" --concurrency "$c" --gateway-pid "$gateway_pid" $mode
    echo
  done
done
