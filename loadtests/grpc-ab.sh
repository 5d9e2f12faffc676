#!/usr/bin/env bash
# A/B of two builds of the gRPC bench server (GRump.Benchmarks `serve`): both run side by side and their h2load runs
# alternate (Noop then ParseIntent, per server, per round), so machine noise hits both builds alike. Reports per build
# the median server CPU µs per call (/proc/<pid>/stat, as grpc-ratio.sh) and the median per-round ratios to Noop.
# usage: loadtests/grpc-ab.sh A/GRump.Benchmarks.dll B/GRump.Benchmarks.dll [requests per run, 40000] [rounds, 12]
# (copy a build's loadtests/GRump.Benchmarks/bin/Release/net10.0 folder aside to keep it as A)
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${3:-40000}
rounds=${4:-12}
work=$(mktemp -d)
declare -A pid url
dotnet "$1" serve 0 >"$work/A.log" 2>&1 &
pid[A]=$!
dotnet "$2" serve 0 >"$work/B.log" 2>&1 &
pid[B]=$!
trap 'kill ${pid[A]} ${pid[B]} 2>/dev/null || true; rm -rf "$work"' EXIT
for s in A B; do
  for _ in $(seq 1 100); do grep -q '^Serving' "$work/$s.log" && break; sleep 0.1; done
  url[$s]=$(sed -n 's/^Serving \(http:[^ ]*\) .*/\1/p' "$work/$s.log")
  [ -n "${url[$s]}" ] || { cat "$work/$s.log"; exit 1; }
done
/usr/bin/python3 loadtests/grpc-frame.py 'Build a todo app with authentication and a dashboard using React, Node and PostgreSQL.' "$work/body.bin"
hz=$(getconf CLK_TCK)
run() { # server, method, requests -> "rps cpu_us_per_request"
  local p=${pid[$1]} before after out
  before=$(awk '{print $14 + $15}' "/proc/$p/stat")
  out=$(h2load -n "$3" -c 4 -m 32 -t 1 -d "$work/body.bin" -H 'content-type: application/grpc' -H 'te: trailers' "${url[$1]}/$2")
  after=$(awk '{print $14 + $15}' "/proc/$p/stat")
  grep -q "$3 succeeded" <<<"$out" || { echo "$out" >&2; exit 1; }
  echo "$(sed -n 's/.*finished in [0-9.]*m\?s, \([0-9.]*\) req\/s.*/\1/p' <<<"$out") $(awk -v t=$((after - before)) -v hz="$hz" -v n="$3" 'BEGIN { printf "%.2f", t / hz / n * 1e6 }')"
}
methods=(grump.bench.v1.BenchService/Noop grump.gateway.v1.IntentService/ParseIntent)
for s in A B; do for m in "${methods[@]}"; do run "$s" "$m" 20000 >/dev/null; done; done # warm-up
for _ in $(seq 1 "$rounds"); do
  for s in A B; do for m in "${methods[@]}"; do echo "$s ${m##*/} $(run "$s" "$m" "$requests")"; done; done
done >"$work/rows.txt"
/usr/bin/python3 - "$work/rows.txt" "$rounds" <<'PY'
import collections, statistics as st, sys
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    s, m, r, c = line.split()
    d[(s, m)].append((float(r), float(c)))
print(f"| build | rounds | Noop CPU µs/call | ParseIntent CPU µs/call | ParseIntent ÷ Noop CPU | ParseIntent ÷ Noop req/s |")
print("|---|---:|---:|---:|---:|---:|")
for s in "AB":
    noop, parse = d[(s, "Noop")], d[(s, "ParseIntent")]
    cpu = st.median(p[1] / n[1] for n, p in zip(noop, parse))
    thr = st.median(p[0] / n[0] for n, p in zip(noop, parse))
    print(f"| {s} | {sys.argv[2]} | {st.median(x[1] for x in noop):.2f} | {st.median(x[1] for x in parse):.2f} | {cpu:.2f}× | {100 * thr:.0f} % |")
PY
