#!/usr/bin/env bash
# The gateway and a pinned Portkey (npm @portkey-ai/gateway, loadtests/peer/package.json) side by side through the same
# fake upstream (tests/GRump.FakeUpstream as a process): chat (JSON), stream (SSE) and embeddings at 1, 32 and 128
# connections with wrk; every request distinct (no cache hit on either side). Reports per case: RPS and its ratio to
# direct, added p50/p99 over direct, CPU per request (/proc/PID/stat), and RSS after start / peak / after the run,
# as the Markdown table in docs/performance.md. Needs wrk and node; run on a quiet machine for numbers to quote.
#
# usage: loadtests/peer-bench.sh [seconds per case, default 15] [warm-up seconds, default 5] [connections, default "1 32 128"]
#   e.g. loadtests/peer-bench.sh 3 1 "1 32"    (a short check that the harness works)
#   MODES="embeddings" loadtests/peer-bench.sh   (some of chat, stream, embeddings; default all three)
#   EMBEDDING_DIMENSIONS=8 loadtests/peer-bench.sh   (values per vector the fake answers; default 4096, nv-embed-v1's size.
#                                                     Runs before 2026-12-06 19:00 UTC had 8, the fake's own default)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
warmup=${2:-5}
connection_list=${3:-1 32 128}
modes=${MODES:-chat stream embeddings}

[ -n "${NO_BUILD:-}" ] || dotnet build GRump.Gateway.sln -c Release -nologo -clp:ErrorsOnly >/dev/null
[ -d loadtests/peer/node_modules/@portkey-ai/gateway ] || npm ci --prefix loadtests/peer --no-audit --no-fund >/dev/null
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
source loadtests/lib.sh

start_fake --chunks 8 --embedding-dimensions "${EMBEDDING_DIMENSIONS:-4096}"
start_gateway
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$work" && NODE_ENV=production exec node "$OLDPWD/loadtests/peer/node_modules/@portkey-ai/gateway/build/start-server.js" --port="$port" --headless >"$work/portkey.log" 2>&1) &
portkey_pid=$!
pids+=("$portkey_pid")
for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
portkey="http://127.0.0.1:$port"
declare -A start_rss=([gateway]=$(rss_mib "$gateway_pid") [portkey]=$(rss_mib "$portkey_pid"))

# One wrk script per mode; headers tell Portkey to forward to the fake as an OpenAI-compatible host.
write_lua() { # mode path
  cat >"$work/$1.lua" <<LUA
local counter = 0
local id = 0
local run = ""
setup = function(thread) thread:set("id", id); id = id + 1 end
-- Each wrk invocation passes its own run tag: texts never repeat across warm-up, cases and targets (no cache hits).
init = function(args) run = args[1] or "" end
request = function()
  counter = counter + 1
  local text = string.format("peer %s %d-%d: how do gateways batch?", run, id, counter)
  local body
  if "$1" == "embeddings" then
    body = string.format('{"model":"nvidia/nv-embed-v1","input":"%s"}', text)
  else
    body = string.format('{"model":"moonshotai/kimi-k2.5","stream":%s,"messages":[{"role":"user","content":"%s"}]}', "$1" == "stream" and "true" or "false", text)
  end
  return wrk.format("POST", "$2", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer bench",
    ["x-portkey-provider"] = "openai", ["x-portkey-custom-host"] = "$fake/v1"}, body)
end
LUA
}
write_lua chat /v1/chat/completions
write_lua stream /v1/chat/completions
write_lua embeddings /v1/embeddings

# wrk's latency line for a percentile, in ms
percentile() { awk -v p="$2" '$1 == p {v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
  print (u == "us" ? v / 1000 : u == "s" ? v * 1000 : v)}' "$1"; }

run() { # target url pid mode c → prints "rps p50 p99 cpu_ms_per_request"
  local url=$1 pid=$2 mode=$3 c=$4 threads=$(( $4 < 2 ? 1 : 2 )) out="$work/run.txt" before after
  wrk -t "$threads" -c "$c" -d "${warmup}s" -s "$work/$mode.lua" "$url" -- "w$RANDOM$RANDOM" >/dev/null 2>&1
  before=$([ -n "$pid" ] && cpu_ticks "$pid" || echo 0)
  wrk -t "$threads" -c "$c" -d "${seconds}s" --latency -s "$work/$mode.lua" "$url" -- "m$RANDOM$RANDOM" >"$out" 2>&1
  after=$([ -n "$pid" ] && cpu_ticks "$pid" || echo 0)
  local requests rps
  requests=$(awk '/requests in/ {print $1}' "$out")
  rps=$(awk '/^Requests\/sec/ {print $2}' "$out")
  if grep -q 'Non-2xx' "$out"; then echo "non-2xx answers from $url ($mode): $(grep Non-2xx "$out")" >&2; fi
  awk -v r="$rps" -v n="$requests" -v t="$((after - before))" -v hz="$clk_tck" -v p50="$(percentile "$out" 50%)" -v p99="$(percentile "$out" 99%)" \
    'BEGIN {printf "%s %s %s %.3f\n", r, p50, p99, (n > 0 ? t * 1000 / hz / n : 0)}'
}

echo "| mode | c | direct rps | gateway rps (× direct) | Portkey rps (× direct) | gateway/Portkey rps | added p50 gw / pk (ms) | added p99 gw / pk (ms) | CPU/request gw / pk (ms) |"
echo "|---|---|---|---|---|---|---|---|---|"
for mode in $modes; do
  for c in $connection_list; do
    read -r d_rps d_p50 d_p99 _ < <(run "$fake" "" "$mode" "$c")
    read -r g_rps g_p50 g_p99 g_cpu < <(run "$gateway_http" "$gateway_pid" "$mode" "$c")
    read -r p_rps p_p50 p_p99 p_cpu < <(run "$portkey" "$portkey_pid" "$mode" "$c")
    awk -v m="$mode" -v c="$c" -v d="$d_rps" -v g="$g_rps" -v p="$p_rps" -v dp50="$d_p50" -v dp99="$d_p99" \
        -v gp50="$g_p50" -v gp99="$g_p99" -v pp50="$p_p50" -v pp99="$p_p99" -v gc="$g_cpu" -v pc="$p_cpu" 'BEGIN {
      printf "| %s | %d | %.0f | %.0f (%.2f) | %.0f (%.2f) | %.2f | %+.2f / %+.2f | %+.2f / %+.2f | %.3f / %.3f |\n",
        m, c, d, g, (d > 0 ? g / d : 0), p, (d > 0 ? p / d : 0), (p > 0 ? g / p : 0), gp50 - dp50, pp50 - dp50, gp99 - dp99, pp99 - dp99, gc, pc }'
  done
done
echo
echo "| RSS (MiB) | after start | peak | after the runs |"
echo "|---|---|---|---|"
echo "| gateway | ${start_rss[gateway]} | $(hwm_mib "$gateway_pid") | $(rss_mib "$gateway_pid") |"
echo "| Portkey 1.15.2 (node $(node --version)) | ${start_rss[portkey]} | $(hwm_mib "$portkey_pid") | $(rss_mib "$portkey_pid") |"
echo
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); gateway log: $(wc -l <"$work/gateway.log") lines"
