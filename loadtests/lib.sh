# Shared by loadtests/*.sh (source it): start the fake upstream and the gateway as processes on free ports, read
# a process's CPU and RSS from /proc. Callers set `work` (a temp folder) and `pids` (an array killed on exit).

# start_fake [fake args...] → sets $fake (base URL) and $fake_pid
start_fake() {
  dotnet tests/GRump.FakeUpstream/bin/Release/net10.0/GRump.FakeUpstream.dll --port 0 "$@" >"$work/fake.log" 2>&1 &
  fake_pid=$!
  pids+=("$fake_pid")
  for _ in $(seq 1 200); do grep -q '^Listening' "$work/fake.log" && break; sleep 0.1; done
  fake=$(sed -n 's/^Listening \(http:[^ ]*\).*/\1/p' "$work/fake.log")
  [ -n "$fake" ] || { cat "$work/fake.log" >&2; return 1; }
}

# start_gateway [VAR=value ...] → sets $gateway_http, $gateway_grpc, $gateway_pid; logs to $work/gateway.log.
# Started from $work (another directory: no appsettings.json is found — the logging defaults in code apply).
start_gateway() {
  local dll
  dll="$(pwd)/src/GRump.Gateway/bin/Release/net10.0/GRump.Gateway.dll"
  (cd "$work" && exec env NVIDIA_NIM_URL="$fake" NVIDIA_NIM_API_KEY=bench Gateway__GrpcPort=0 Gateway__HttpPort=0 \
    Gateway__DataPath="$work/data" ASPNETCORE_ENVIRONMENT=Production "$@" \
    dotnet "$dll") >"$work/gateway.log" 2>&1 &
  gateway_pid=$! # exec: the subshell became env, env became the gateway
  pids+=("$gateway_pid")
  for _ in $(seq 1 300); do grep -q 'Listening grpc=' "$work/gateway.log" && break; sleep 0.1; done
  gateway_grpc=$(sed -n 's/.*Listening grpc=\([^ ]*\).*/\1/p' "$work/gateway.log")
  gateway_http=$(sed -n 's/.*Listening grpc=[^ ]* http=\(http:[^ ]*\).*/\1/p' "$work/gateway.log")
  [ -n "$gateway_http" ] || { cat "$work/gateway.log" >&2; return 1; }
}

# cpu_ticks PID → user+system clock ticks so far (/proc/PID/stat fields 14 and 15)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# rss_mib PID → resident set size in MiB
rss_mib() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

# hwm_mib PID → peak resident set size in MiB
hwm_mib() { awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

clk_tck=$(getconf CLK_TCK)

# grpc_ok URL BODY → fails unless the unary gRPC call answers grpc-status 0 (h2load counts any HTTP 200 as success)
grpc_ok() {
  local headers
  headers=$(curl -s --http2-prior-knowledge -H 'content-type: application/grpc' -H 'te: trailers' --data-binary "@$2" \
    -D - -o /dev/null "$1")
  grep -qi '^grpc-status: 0' <<<"$headers" || { echo "$1 did not answer grpc-status 0:" >&2; echo "$headers" >&2; return 1; }
}

# h2load_grpc PID URL BODY REQUESTS → "req/s server-CPU-µs-per-request": REQUESTS unary gRPC calls (4 connections × 32
# streams) with the framed BODY; the CPU is the server PID's from /proc. Fails when a call did not succeed.
h2load_grpc() {
  local before after out r
  before=$(cpu_ticks "$1")
  out=$(h2load -n "$4" -c 4 -m 32 -t 1 -d "$3" -H 'content-type: application/grpc' -H 'te: trailers' "$2")
  after=$(cpu_ticks "$1")
  grep -q "$4 succeeded" <<<"$out" || { echo "$out" >&2; return 1; }
  r=$(sed -n 's/.*finished in [0-9.]*m\?s, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
  echo "$r $(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$4" 'BEGIN { printf "%.2f", t / hz / n * 1e6 }')"
}

# median → the median of the numbers on stdin (separated by spaces or lines)
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
