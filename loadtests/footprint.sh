#!/usr/bin/env bash
# Memory and CPU of the gateway under each GC configuration (issue 22): for every configuration it starts the fake
# upstream and the gateway (the default routing strategy, hybrid; started from a temp folder), waits until /readyz is
# Healthy (the learned router has trained), then reports
#   RSS 7 s and 30 s after ready (the idle trim, src/GRump.Gateway.Core/Memory, runs once start-up's JIT work has
#   settled, ~20 s after ready) · RSS after a 5 s warm-up at c=32 and 15 s of rest (the request path compiled: the size
#   "after load" is compared with) · peak RSS (VmHWM) over a c=128 chat run · CPU per request and rps at c=32 · RSS 15 s after
# with wrk against /v1/chat/completions (a named model, no temperature: every request proxied, nothing cached; the
# sentence model never loads — its footprint is another measurement). 'Routing__Strategy=heuristic' in a configuration
# measures the heuristic router.
#
# usage: loadtests/footprint.sh [seconds per run, default 15] [configuration ...]
#   a configuration is a label and environment settings: 'workstation DOTNET_gcServer=0 DOTNET_GCConserveMemory=5'
#   (default: the shipped settings and the common alternatives)
# The wrk client shares the machine's cores with both servers: compare rows of one run, not runs.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
shift || true
configs=("$@")
if [ ${#configs[@]} -eq 0 ]; then
  configs=("shipped" "server+DATAS DOTNET_gcServer=1" "server,no-DATAS DOTNET_gcServer=1 DOTNET_GCDynamicAdaptationMode=0"
           "workstation DOTNET_gcServer=0" "workstation+conserve DOTNET_gcServer=0 DOTNET_GCConserveMemory=5")
fi

[ -n "${NO_BUILD:-}" ] || dotnet build GRump.Gateway.sln -c Release -nologo -clp:ErrorsOnly >/dev/null
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
source loadtests/lib.sh

cat >"$work/chat.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"moonshotai/kimi-k2.5","messages":[{"role":"user","content":"Summarise the quarterly report in three bullet points."}]}'
LUA

# wrk_requests OUTPUT → completed requests; fails the run on non-2xx answers (a wrong setup, not a number)
wrk_requests() {
  if grep -q 'Non-2xx' <<<"$1"; then echo "$1" >&2; return 1; fi
  awk '/requests in/ {print $1}' <<<"$1"
}

echo "| configuration | RSS 7 s after ready (MiB) | RSS 30 s after ready (MiB) | RSS after warm-up (MiB) | peak RSS at c=128 (MiB) | rps c=32 | CPU/request c=32 (ms) | RSS 15 s after (MiB) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for config in "${configs[@]}"; do
  read -r label settings <<<"$config"
  start_fake --chunks 1
  # shellcheck disable=SC2086 # settings are VAR=value words
  start_gateway $settings
  for _ in $(seq 1 120); do [ "$(curl -s "$gateway_http/readyz")" = Healthy ] && break; sleep 0.5; done
  [ "$(curl -s "$gateway_http/readyz")" = Healthy ] || { echo "$label: /readyz never became Healthy" >&2; exit 1; }
  sleep 7
  after_ready=$(rss_mib "$gateway_pid")
  sleep 23
  after_start=$(rss_mib "$gateway_pid")
  wrk -t2 -c32 -d5s -s "$work/chat.lua" "$gateway_http/v1/chat/completions" >/dev/null
  sleep 15
  warm=$(rss_mib "$gateway_pid")
  wrk -t2 -c128 -d"${seconds}s" -s "$work/chat.lua" "$gateway_http/v1/chat/completions" >/dev/null
  peak=$(hwm_mib "$gateway_pid")
  before=$(cpu_ticks "$gateway_pid")
  out=$(wrk -t2 -c32 -d"${seconds}s" -s "$work/chat.lua" "$gateway_http/v1/chat/completions")
  ticks=$(( $(cpu_ticks "$gateway_pid") - before ))
  requests=$(wrk_requests "$out")
  sleep 15
  after=$(rss_mib "$gateway_pid")
  peak=$(hwm_mib "$gateway_pid")
  awk -v l="$label" -v r7="$after_ready" -v s="$after_start" -v w="$warm" -v p="$peak" -v r="$requests" -v t="$ticks" -v hz="$clk_tck" -v d="$seconds" -v a="$after" \
    'BEGIN {printf "| %s | %d | %d | %d | %d | %.0f | %.3f | %d |\n", l, r7, s, w, p, r / d, t / hz * 1000 / r, a}'
  kill "$gateway_pid" "$fake_pid"; wait "$gateway_pid" "$fake_pid" 2>/dev/null || true
  pids=()
done
