#!/usr/bin/env bash
# The footprint soak (issue 22): unique temperature-0 chats through /v1/chat/completions for a while, every one a
# cache miss that is proxied, cached (L1 → L2 → L3) and metered; the gateway started from another directory (no
# appsettings.json: the in-code logging defaults apply). Every 10 s it samples the L3 database, the ledger and the log;
# at the end it reports the peak L3 size against its cap, the ledger's raw/hourly/daily rows, the log lines per 1,000
# requests, RSS — and fails (exit 1) if L3 ever exceeded its cap by more than one entry or the log is too loud.
#
# usage: loadtests/soak.sh [duration, default 300s] [connections, default 16] [L3 cap bytes, default 67108864]
#   e.g. loadtests/soak.sh 30s 8           (a short check)
#        loadtests/soak.sh 300s 16 1073741824   (the issue's 5-minute soak with the default 1 GiB cap)
# The raw-record window is one minute and the roll-up runs every 30 s, so a run of a few minutes shows raw rows
# turning into hourly aggregates (the default window is 7 days).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-300s}
connections=${2:-16}
cap=${3:-67108864}

[ -n "${NO_BUILD:-}" ] || dotnet build GRump.Gateway.sln -c Release -nologo -clp:ErrorsOnly >/dev/null
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
source loadtests/lib.sh

start_fake --chunks 1
start_gateway Cache__L3MaxBytes="$cap" Cost__RawRecordRetention=00:01:00 Cost__RollupInterval=00:00:30
echo "gateway pid $gateway_pid at $gateway_http, fake upstream $fake, data in $work/data; L3 cap $cap bytes"

# Unique prompt per request (thread id + counter), temperature 0: cacheable and never a hit.
cat >"$work/chat.lua" <<'LUA'
local counter = 0
local id = 0
setup = function(thread) thread:set("id", id); id = id + 1 end
init = function() counter = 0 end
request = function()
  counter = counter + 1
  local body = string.format('{"model":"moonshotai/kimi-k2.5","temperature":0,"messages":[{"role":"user","content":"soak %d-%d: summarise the news"}]}', id, counter)
  return wrk.format("POST", "/v1/chat/completions", {["Content-Type"] = "application/json"}, body)
end
LUA

l3_bytes() { du -cb "$work/data/cache" 2>/dev/null | awk 'END {print $1 + 0}'; }
sample() {
  printf '%6s  L3 %10d B  ledger %10d B  log %6d lines  RSS %4s MiB\n' "$1" "$(l3_bytes)" \
    "$(du -cb "$work/data"/ledger.db* 2>/dev/null | awk 'END {print $1 + 0}')" "$(wc -l <"$work/gateway.log")" "$(rss_mib "$gateway_pid")"
}

start_ticks=$(cpu_ticks "$gateway_pid")
start_lines=$(wc -l <"$work/gateway.log")
wrk -t 2 -c "$connections" -d "$duration" --latency -s "$work/chat.lua" "$gateway_http" >"$work/wrk.txt" 2>&1 &
wrk_pid=$!
pids+=("$wrk_pid")
peak=0
elapsed=0
while kill -0 "$wrk_pid" 2>/dev/null; do
  sleep 10
  elapsed=$((elapsed + 10))
  bytes=$(l3_bytes)
  [ "$bytes" -gt "$peak" ] && peak=$bytes
  sample "${elapsed}s"
done
wait "$wrk_pid" || true
cat "$work/wrk.txt"
# Idle for the raw window plus a roll-up interval: every raw row of the run is then beyond the window and rolled up.
sleep 95
bytes=$(l3_bytes); [ "$bytes" -gt "$peak" ] && peak=$bytes
sample end

requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
ticks=$(( $(cpu_ticks "$gateway_pid") - start_ticks ))
lines=$(( $(wc -l <"$work/gateway.log") - start_lines ))
read -r raw hourly daily < <(sqlite3 -separator ' ' "$work/data/ledger.db" \
  "SELECT (SELECT COUNT(*) FROM records), (SELECT COUNT(*) FROM records_hourly), (SELECT COUNT(*) FROM records_daily)")
metered=$(sqlite3 "$work/data/ledger.db" "SELECT COALESCE(SUM(requests), 0) FROM ledger")
# One entry's worth of slack: the largest value the soak writes is far under 64 KiB.
slack=65536
echo
echo "| requests | gateway CPU/request | peak L3 (cap) | ledger rows raw / hourly / daily (metered) | log lines | per 1,000 requests | RSS now / peak |"
echo "|---|---|---|---|---|---|---|"
awk -v r="$requests" -v t="$ticks" -v hz="$clk_tck" -v p="$peak" -v c="$cap" -v raw="$raw" -v h="$hourly" -v d="$daily" \
    -v m="$metered" -v l="$lines" -v rss="$(rss_mib "$gateway_pid")" -v hwm="$(hwm_mib "$gateway_pid")" 'BEGIN {
  printf "| %d | %.3f ms | %.1f MiB (%.1f MiB) | %d / %d / %d (%d) | %d | %.3f | %d / %d MiB |\n",
    r, (r > 0 ? t * 1000 / hz / r : 0), p / 1048576, c / 1048576, raw, h, d, m, l, (r > 0 ? l * 1000 / r : 0), rss, hwm }'
status=0
[ "$peak" -le $((cap + slack)) ] || { echo "FAIL: L3 reached $peak bytes against a cap of $cap"; status=1; }
[ "$requests" -gt 0 ] && [ $((lines * 1000)) -lt "$requests" ] || { echo "FAIL: $lines log lines for $requests requests"; status=1; }
[ $((raw + hourly + daily)) -gt 0 ] || { echo "FAIL: the ledger is empty"; status=1; }
exit $status
