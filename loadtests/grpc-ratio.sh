#!/usr/bin/env bash
# ParseIntent over gRPC vs a bare unary RPC on the same server, measured from outside with h2load (nghttp2-client).
# Reports requests/s and server CPU per request (from /proc/<pid>/stat, far less noisy than wall-clock RPS on two
# shared cores), each method run in rounds that alternate so drift hits all of them alike.
# usage: loadtests/grpc-ratio.sh [requests per round, default 100000] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-100000}
rounds=${2:-3}
prompt='Build a todo app with authentication and a dashboard using React, Node and PostgreSQL.'

[ -n "${NO_BUILD:-}" ] || dotnet build loadtests/GRump.Benchmarks -c Release -nologo -clp:ErrorsOnly >/dev/null
work=$(mktemp -d)
dotnet loadtests/GRump.Benchmarks/bin/Release/net10.0/GRump.Benchmarks.dll serve 0 >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
source loadtests/lib.sh
for _ in $(seq 1 100); do grep -q '^Serving' "$work/server.log" && break; sleep 0.1; done
url=$(sed -n 's/^Serving \(http:[^ ]*\) .*/\1/p' "$work/server.log")
[ -n "$url" ] || { cat "$work/server.log"; exit 1; }

# ParseIntentRequest and NoopRequest are both {string raw = 1}: one body serves every method.
# gRPC frame = 0 (not compressed) + 4-byte big-endian length + protobuf bytes.
/usr/bin/python3 loadtests/grpc-frame.py "$prompt" "$work/body.bin"

methods=(grump.bench.v1.BenchService/Noop grump.gateway.v1.IntentService/ParseIntent grump.bench.v1.BenchService/ParsePooled)
for m in "${methods[@]}"; do grpc_ok "$url/$m" "$work/body.bin"; done # h2load counts any HTTP 200 as success

declare -A rps cpu
run() { h2load_grpc "$server" "$url/$1" "$work/body.bin" "$2"; } # method, requests -> "rps cpu_us_per_request"
for m in "${methods[@]}"; do run "$m" 20000 >/dev/null; done # warm-up: JIT, tiering, pools
for round in $(seq 1 "$rounds"); do
  for m in "${methods[@]}"; do
    read -r r c < <(run "$m" "$requests")
    rps[$m]="${rps[$m]:-} $r"; cpu[$m]="${cpu[$m]:-} $c"
  done
done

base_rps=$(median <<<"${rps[${methods[0]}]}"); base_cpu=$(median <<<"${cpu[${methods[0]}]}")
echo "| method | req/s (median of $rounds) | throughput vs bare | server CPU µs/request | CPU vs bare |"
echo "|---|---:|---:|---:|---:|"
for m in "${methods[@]}"; do
  r=$(median <<<"${rps[$m]}"); c=$(median <<<"${cpu[$m]}")
  awk -v m="${m##*/}" -v r="$r" -v c="$c" -v br="$base_rps" -v bc="$base_cpu" \
    'BEGIN { printf "| %s | %.0f | %.0f %% | %.1f | %.2f× |\n", m, r, 100 * r / br, c, c / bc }'
done
