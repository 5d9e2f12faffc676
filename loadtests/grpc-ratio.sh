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

dotnet build loadtests/GRump.Benchmarks -c Release -nologo -clp:ErrorsOnly >/dev/null
work=$(mktemp -d)
dotnet loadtests/GRump.Benchmarks/bin/Release/net10.0/GRump.Benchmarks.dll serve 0 >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q '^Serving' "$work/server.log" && break; sleep 0.1; done
url=$(sed -n 's/^Serving \(http:[^ ]*\) .*/\1/p' "$work/server.log")
[ -n "$url" ] || { cat "$work/server.log"; exit 1; }

# ParseIntentRequest and NoopRequest are both {string raw = 1}: one body serves every method.
# gRPC frame = 0 (not compressed) + 4-byte big-endian length + protobuf bytes.
/usr/bin/python3 loadtests/grpc-frame.py "$prompt" "$work/body.bin"

# h2load counts any HTTP 200 as success: check once per method that the answer really is grpc-status 0.
for m in grump.bench.v1.BenchService/Noop grump.gateway.v1.IntentService/ParseIntent grump.bench.v1.BenchService/ParsePooled; do
  curl -s --http2-prior-knowledge -H 'content-type: application/grpc' -H 'te: trailers' --data-binary "@$work/body.bin" \
    -D "$work/headers.txt" -o /dev/null "$url/$m"
  grep -qi '^grpc-status: 0' "$work/headers.txt" || { echo "$m did not answer grpc-status 0:" >&2; cat "$work/headers.txt" >&2; exit 1; }
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
hz=$(getconf CLK_TCK)
declare -A rps cpu
methods=(grump.bench.v1.BenchService/Noop grump.gateway.v1.IntentService/ParseIntent grump.bench.v1.BenchService/ParsePooled)
run() { # method, requests -> prints "rps cpu_us_per_request"
  local before after out
  before=$(cpu_ticks)
  out=$(h2load -n "$2" -c 4 -m 32 -t 1 -d "$work/body.bin" -H 'content-type: application/grpc' -H 'te: trailers' "$url/$1")
  after=$(cpu_ticks)
  grep -q "$2 succeeded" <<<"$out" || { echo "$out" >&2; exit 1; }
  local r; r=$(sed -n 's/.*finished in [0-9.]*m\?s, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
  echo "$r $(awk -v t=$((after - before)) -v hz="$hz" -v n="$2" 'BEGIN { printf "%.2f", t / hz / n * 1e6 }')"
}
for m in "${methods[@]}"; do run "$m" 20000 >/dev/null; done # warm-up: JIT, tiering, pools
for round in $(seq 1 "$rounds"); do
  for m in "${methods[@]}"; do
    read -r r c < <(run "$m" "$requests")
    rps[$m]="${rps[$m]:-} $r"; cpu[$m]="${cpu[$m]:-} $c"
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
base_rps=$(median <<<"${rps[${methods[0]}]}"); base_cpu=$(median <<<"${cpu[${methods[0]}]}")
echo "| method | req/s (median of $rounds) | throughput vs bare | server CPU µs/request | CPU vs bare |"
echo "|---|---:|---:|---:|---:|"
for m in "${methods[@]}"; do
  r=$(median <<<"${rps[$m]}"); c=$(median <<<"${cpu[$m]}")
  awk -v m="${m##*/}" -v r="$r" -v c="$c" -v br="$base_rps" -v bc="$base_cpu" \
    'BEGIN { printf "| %s | %.0f | %.0f %% | %.1f | %.2f× |\n", m, r, 100 * r / br, c, c / bc }'
done
