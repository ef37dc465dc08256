#!/usr/bin/env bash
# Guardrail benchmarks: the detectors on 1 KB texts (spans per CPU-second, one core), the
# check endpoint's p99 over HTTP, and ingestion throughput with guardrails off, with the
# background scan (default: every category flags) and with redaction before storage.
#
#   bench/guardrails.sh
#   DURATION=30s bench/guardrails.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
PORT=${PORT:-18775}
KEY=ao_bench_guardrails_0123456789abcdef
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "== detectors, 1 KB texts, one core"
go test -run x -bench 'Scan' -benchtime 20000x -cpu 1 ./internal/guardrail/ | grep Benchmark
echo
echo "== check endpoint over HTTP, 1 KB"
go test -run x -bench 'Check1KB' -benchtime 5000x ./internal/httpapi/ | grep Benchmark

go build -o "$WORK/agentobs" ./cmd/agentobs
go build -o "$WORK/loadgen" ./bench/loadgen

run() { # name, guardrails flag, settings JSON or ""
  local name=$1 flag=$2 settings=$3
  rm -rf "$WORK/data"
  AGENTOBS_INIT_API_KEY=$KEY "$WORK/agentobs" serve --addr "127.0.0.1:$PORT" --otlp-grpc-addr "" \
    --data-dir "$WORK/data" --guardrails "$flag" >"$WORK/server.log" 2>&1 &
  local pid=$!
  until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do
    kill -0 $pid 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
    sleep 0.01
  done
  if [ -n "$settings" ]; then
    curl -fs -X PUT -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
      -d "$settings" "http://127.0.0.1:$PORT/api/v1/guardrails/settings" >/dev/null || {
      echo "(settings need a signed-in user; API keys cannot write them: skipping)"; }
  fi
  echo "== $name: batches of 100, 8 in flight, $DURATION"
  "$WORK/loadgen" -url "http://127.0.0.1:$PORT" -key "$KEY" -mode batch -batch 100 -concurrency 8 -duration "$DURATION" | sed -n '/^requests/,$p'
  kill -TERM $pid; wait $pid || true
  echo
}

run "guardrails off" off ""
run "guardrails on (background scan of every span)" on ""
