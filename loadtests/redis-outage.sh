#!/usr/bin/env bash
# A Redis outage under chat load (issue 15): two gateway replicas on one redis-server (append-only file, fsync on every
# write, so a restart keeps what it acknowledged) and a fake upstream; the load runner drives ChatService.Complete on
# both; Redis is killed (SIGKILL) part-way and restarted some seconds later. Prints each runner's report (errors by
# status), the gateways' outage log lines, and the ledger (GET /api/cost/summary) next to the calls the runners
# completed — they must be equal, and nothing may fail.
# usage: loadtests/redis-outage.sh [duration s, default 20] [outage s, default 6; 0 = none] [concurrency per replica, default 8]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-20}
outage=${2:-6}
concurrency=${3:-8}

dotnet build GRump.Gateway.sln -c Release -nologo -clp:ErrorsOnly >/dev/null
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; [ -f "$work/redis.pid" ] && kill "$(cat "$work/redis.pid")" 2>/dev/null; rm -rf "$work"' EXIT

wait_for() { # file pattern [tries of 0.1 s]
  for _ in $(seq 1 "${3:-300}"); do grep -q "$2" "$1" && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; return 1
}

redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_redis() {
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always --dir "$work" \
    >>"$work/redis.log" 2>&1 &
  echo $! >"$work/redis.pid"
  wait_for "$work/redis.log" "Ready to accept connections" || exit 1
}
start_redis

dotnet tests/GRump.FakeUpstream/bin/Release/net10.0/GRump.FakeUpstream.dll --port 0 >"$work/fake.log" 2>&1 &
pids+=($!)
wait_for "$work/fake.log" '^Listening'
fake=$(sed -n 's/^Listening \(http:[^ ]*\).*/\1/p' "$work/fake.log")

declare -A grpc http pid
for replica in a b; do
  NVIDIA_NIM_URL=$fake NVIDIA_NIM_API_KEY=bench Gateway__GrpcPort=0 Gateway__HttpPort=0 Gateway__DataPath="$work/data-$replica" \
    Redis__Configuration="127.0.0.1:$redis_port" ASPNETCORE_ENVIRONMENT=Production \
    dotnet src/GRump.Gateway/bin/Release/net10.0/GRump.Gateway.dll >"$work/gateway-$replica.log" 2>&1 &
  pid[$replica]=$!
  pids+=(${pid[$replica]})
done
for replica in a b; do
  wait_for "$work/gateway-$replica.log" 'Listening grpc='
  grpc[$replica]=$(sed -n 's/.*Listening grpc=\(http:[^ ]*\) http=.*/\1/p' "$work/gateway-$replica.log")
  http[$replica]=$(sed -n 's/.*Listening grpc=[^ ]* http=\(http:[^ ]*\).*/\1/p' "$work/gateway-$replica.log")
done
# A budget, so admission runs (on Redis; on the last known spend during the outage).
curl -fsS -X POST "${http[a]}/api/cost/budget" -H 'Content-Type: application/json' \
  -d '{"userId":"default","dailyLimitUsd":1000,"monthlyLimitUsd":10000}' >/dev/null

runner=loadtests/GRump.LoadTests/bin/Release/net10.0/GRump.LoadTests.dll
for replica in a b; do
  dotnet $runner --scenario chat-grpc --concurrency "$concurrency" --duration "${duration}s" --warmup 0s --no-progress \
    --gateway-grpc "${grpc[$replica]}" --gateway-http "${http[$replica]}" --upstream "$fake" --gateway-pid "${pid[$replica]}" \
    --out "$work/load-$replica" >"$work/runner-$replica.log" 2>&1 &
  runners+=($!)
done

sleep $(( duration / 4 ))
if [ "$outage" -gt 0 ]; then # 0: the same run without an outage, to compare
  kill -9 "$(cat "$work/redis.pid")"
  echo "$(date +%T) redis killed"
  sleep "$outage"
  start_redis
  echo "$(date +%T) redis back after ${outage} s"
fi
status=0
for r in "${runners[@]}"; do wait "$r" || status=$?; done
if [ "$outage" -gt 0 ]; then
  for replica in a b; do wait_for "$work/gateway-$replica.log" 'is back after' 600 || true; done
fi

completed=0
for replica in a b; do
  echo "== replica $replica"
  # results.csv: scenario,load,server,seconds,calls,errors,rps,p50_ms,…,error_statuses
  awk -F, '$1=="chat-grpc" {printf "calls %s, errors %s (%s), %s rps, p50 %s ms, p99 %s ms, max %s ms\n", $5, $6, $18, $7, $8, $11, $13}' \
    "$work/load-$replica/results.csv"
  completed=$(( completed + $(awk -F, '$1=="chat-grpc" {print $5 - $6}' "$work/load-$replica/results.csv") ))
  grep -h -A1 'GRump.Gateway.Cost.Ledger' "$work/gateway-$replica.log" | grep -v '^--\|^info\|^warn\|^dbug' | sed 's/^ *//' || true
done
echo "== ledger (GET /api/cost/summary on replica b) vs calls completed: $completed"
curl -fsS "${http[b]}/api/cost/summary?userId=default" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("totalRequests", d["totalRequests"], "totalCost", d["totalCost"])'
echo "runner exit status $status"
