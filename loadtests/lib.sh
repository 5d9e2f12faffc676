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
