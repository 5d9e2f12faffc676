#!/usr/bin/env bash
# Chat answered from L1 over gRPC (ChatService/Complete on the real gateway, the model named, temperature 0, cache on:
# every call after the first is an L1 hit) against a bare unary RPC (the bench server's Noop, same body size class),
# measured from outside with h2load in alternating rounds. Reports requests/s and server CPU per request.
# usage: loadtests/l1-ratio.sh [requests per round, default 100000] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-100000}
rounds=${2:-3}
prompt='What is the capital of France? Answer in one word.'
model='moonshotai/kimi-k2.5'

[ -n "${NO_BUILD:-}" ] || dotnet build GRump.Gateway.sln -c Release -nologo -clp:ErrorsOnly >/dev/null
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
source loadtests/lib.sh

start_fake
start_gateway
dotnet loadtests/GRump.Benchmarks/bin/Release/net10.0/GRump.Benchmarks.dll serve 0 >"$work/bare.log" 2>&1 &
bare_pid=$!
pids+=("$bare_pid")
for _ in $(seq 1 100); do grep -q '^Serving' "$work/bare.log" && break; sleep 0.1; done
bare=$(sed -n 's/^Serving \(http:[^ ]*\) .*/\1/p' "$work/bare.log")
[ -n "$bare" ] || { cat "$work/bare.log"; exit 1; }

/usr/bin/python3 loadtests/grpc-frame.py "$prompt" "$work/noop.bin"
/usr/bin/python3 loadtests/grpc-frame.py "$prompt" "$work/chat.bin" "$model"

declare -A url body pid
url[bare]="$bare/grump.bench.v1.BenchService/Noop"; body[bare]="$work/noop.bin"; pid[bare]=$bare_pid
url[l1]="$gateway_grpc/grump.gateway.v1.ChatService/Complete"; body[l1]="$work/chat.bin"; pid[l1]=$gateway_pid

# h2load counts any HTTP 200 as success: check once that each answers grpc-status 0 (the first chat call fills L1).
for t in bare l1; do grpc_ok "${url[$t]}" "${body[$t]}"; done

declare -A rps cpu
run() { h2load_grpc "${pid[$1]}" "${url[$1]}" "${body[$1]}" "$2"; } # target, requests -> "rps cpu_us_per_request"
for t in bare l1; do run "$t" 20000 >/dev/null; done # warm-up: JIT, tiering, pools
for round in $(seq 1 "$rounds"); do
  for t in bare l1; do
    read -r r c < <(run "$t" "$requests")
    rps[$t]="${rps[$t]:-} $r"; cpu[$t]="${cpu[$t]:-} $c"
  done
done

# The gateway must have answered from its cache, not the upstream: the fake saw only the first call.
hits=$(curl -s "$gateway_http/metrics" | awk '/^tiered_cache_hits_total.*layer="L1"/ {s += $NF} END {print s + 0}')
base_rps=$(median <<<"${rps[bare]}"); base_cpu=$(median <<<"${cpu[bare]}")
echo "| target | req/s (median of $rounds) | throughput vs bare | server CPU µs/request | CPU vs bare |"
echo "|---|---:|---:|---:|---:|"
for t in bare l1; do
  r=$(median <<<"${rps[$t]}"); c=$(median <<<"${cpu[$t]}")
  awk -v m="$t" -v r="$r" -v c="$c" -v br="$base_rps" -v bc="$base_cpu" \
    'BEGIN { printf "| %s | %.0f | %.0f %% | %.1f | %.2f× |\n", m, r, 100 * r / br, c, c / bc }'
done
echo "cache hits counted by the gateway: $hits"
