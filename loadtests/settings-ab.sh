#!/usr/bin/env bash
# Runtime settings A/B for the chat doors: per setting, a fresh gateway (and fake upstream) started with the given
# environment, warmed 5 s at c=32 on every measured scenario, then c=1 for 10 s and c=32 for 8 s with the load runner
# (chat-direct, chat-http, chat-grpc-named, chat-grpc-stream-named); prints the runner's rows and RSS after. Settings
# run one after another, so compare rows of one invocation.
# usage: loadtests/settings-ab.sh 'shipped' 'DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0' 'DOTNET_gcServer=1' ...
#   (each argument: space-separated VAR=value pairs, or 'shipped' for none)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${NO_BUILD:-}" ] || dotnet build GRump.Gateway.sln -c Release -nologo -clp:ErrorsOnly >/dev/null
runner=loadtests/GRump.LoadTests/bin/Release/net10.0/GRump.LoadTests.dll
for setting in "$@"; do
  work=$(mktemp -d)
  pids=()
  source loadtests/lib.sh
  start_fake
  # shellcheck disable=SC2086 # the setting is a list of VAR=value words
  start_gateway Routing__Strategy=heuristic $([ "$setting" = shipped ] || echo "$setting")
  run() { dotnet "$runner" --gateway-grpc "$gateway_grpc" --gateway-http "$gateway_http" --upstream "$fake" \
    --gateway-pid "$gateway_pid" --no-progress --out "$work/out" "$@"; }
  run --scenario chat-http,chat-grpc-named,chat-grpc-stream-named --duration 5s --warmup 1s --concurrency 32 >/dev/null
  echo "## $setting"
  run --scenario chat-direct,chat-http,chat-grpc-named,chat-grpc-stream-named --duration 10s --warmup 2s --concurrency 1 |
    grep -E '^chat-[a-z-]+ +c=1 ' || true
  run --scenario chat-http,chat-grpc-named --duration 8s --warmup 2s --concurrency 32 | grep -E '^chat-[a-z-]+ +c=32 ' || true
  echo "RSS after: $(rss_mib "$gateway_pid") MiB"
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
done
