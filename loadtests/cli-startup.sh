#!/usr/bin/env bash
# Startup of the grump CLI: the Native AOT binary's `--version` and a `plan` served from the client cache (no call),
# against the JIT build's, with hyperfine. Starts a gateway on free ports (local dev model) to fill the cache once.
# usage: loadtests/cli-startup.sh [path to the AOT grump, default artifacts/grump/grump (published if missing)] [runs, default 50]
set -euo pipefail
cd "$(dirname "$0")/.."
aot=${1:-artifacts/grump/grump}
runs=${2:-50}

if [ ! -x "$aot" ]; then
  dotnet publish src/GRump.Cli -c Release -r linux-x64 -o "$(dirname "$aot")" -nologo -clp:ErrorsOnly
fi
dotnet build src/GRump.Gateway -c Release -nologo -clp:ErrorsOnly >/dev/null
dotnet build src/GRump.Cli -c Release -nologo -clp:ErrorsOnly >/dev/null
jit=src/GRump.Cli/bin/Release/net10.0/grump.dll
work=$(mktemp -d)
trap 'kill "$gateway_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

(cd src/GRump.Gateway/bin/Release/net10.0 && exec env Gateway__GrpcPort=0 Gateway__HttpPort=0 Gateway__DataPath="$work/data" \
  dotnet GRump.Gateway.dll >"$work/gateway.log" 2>&1) &
gateway_pid=$!
for _ in $(seq 1 300); do grep -q 'Listening grpc=' "$work/gateway.log" && break; sleep 0.2; done
url=$(grep -o 'Listening grpc=[^ ]*' "$work/gateway.log" | head -1 | cut -d= -f2)
[ -n "$url" ] || { cat "$work/gateway.log"; exit 1; }
export GRUMP_URL=$url GRUMP_CACHE_DIR=$work/cache
"$aot" plan --message "Add authentication" >/dev/null   # fills the client cache

hyperfine --warmup 3 --runs "$runs" -N --export-markdown "$work/startup.md" \
  -n 'AOT grump --version' "$aot --version" \
  -n 'AOT grump plan (client cache)' "$aot plan --message 'Add authentication'" \
  -n 'JIT dotnet grump.dll --version' "dotnet $jit --version" \
  -n 'JIT dotnet grump.dll plan (client cache)' "dotnet $jit plan --message 'Add authentication'"
cat "$work/startup.md"
