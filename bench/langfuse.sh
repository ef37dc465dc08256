#!/usr/bin/env bash
# Langfuse compatibility benchmark (docs/migrate.md): OTLP at Langfuse's path with Langfuse
# attributes against the standard /v1/traces with GenAI attributes, alternated so that
# both see the same machine, then Langfuse batch ingestion of 100 events a request.
#
#   bench/langfuse.sh
#   DURATION=30s ROUNDS=3 bench/langfuse.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
PORT=${PORT:-18766}
KEY=ao_bench_0123456789abcdef0123456789
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
go build -o "$WORK/agentobs" ./cmd/agentobs
go build -o "$WORK/loadgen" ./bench/loadgen
AGENTOBS_INIT_API_KEY=$KEY "$WORK/agentobs" serve --addr "127.0.0.1:$PORT" --otlp-grpc-addr "" --data-dir "$WORK/data" >"$WORK/server.log" 2>&1 &
PID=$!
until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do
  kill -0 $PID 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.05
done
load() { "$WORK/loadgen" -url "http://127.0.0.1:$PORT" -key "$KEY" -concurrency 8 -duration "$DURATION" "$@" | sed -n '/^requests/,$p'; }
for round in $(seq "$ROUNDS"); do
  echo "== round $round: OTLP/HTTP protobuf, 100 spans per request in traces of 5 (POST /v1/traces, 8 in flight, $DURATION)"
  load -mode otlp -batch 100
  echo
  echo "== round $round: the same with Langfuse attributes (POST /api/public/otel/v1/traces, Basic auth)"
  load -mode langfuse-otlp -batch 100
  echo
done
echo "== Langfuse batch ingestion, 100 events per request (POST /api/public/ingestion, 8 in flight, $DURATION)"
load -mode langfuse -batch 100
kill -TERM "$PID"; wait "$PID" || true
