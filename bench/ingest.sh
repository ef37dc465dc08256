#!/usr/bin/env bash
# Ingestion benchmark: builds agentobs and the load generator, starts a server on a fresh
# data directory, and reports idle memory, single-trace and batch throughput with latency
# percentiles, and start-up time to ready on a database holding many traces.
#
#   bench/ingest.sh                 # all of it; seeds 1M traces once into bench/.data-1m
#   SEED_TRACES=200000 bench/ingest.sh
#   DURATION=30s bench/ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
SEED_TRACES=${SEED_TRACES:-1000000}
PORT=${PORT:-18765}
KEY=ao_bench_0123456789abcdef0123456789
WORK=$(mktemp -d)
SEEDED=bench/.data-$SEED_TRACES
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

go build -o "$WORK/agentobs" ./cmd/agentobs
go build -o "$WORK/loadgen" ./bench/loadgen

rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

start_server() { # data-dir -> sets PID and READY_MS (time to ready)
  local dir=$1 start end
  start=$(date +%s%N)
  AGENTOBS_INIT_API_KEY=$KEY "$WORK/agentobs" serve --addr "127.0.0.1:$PORT" --otlp-grpc-addr "" --data-dir "$dir" >"$WORK/server.log" 2>&1 &
  PID=$!
  until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do
    kill -0 $PID 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
    sleep 0.005
  done
  end=$(date +%s%N)
  READY_MS=$(( (end - start) / 1000000 ))
}

stop_server() { kill -TERM "$PID"; wait "$PID" || true; }

echo "== fresh data directory"
start_server "$WORK/data"
sleep 2
echo "start-up to ready: ${READY_MS} ms; idle RSS: $(rss_mb $PID) MB"

echo
echo "== single-trace requests (POST /api/v1/traces, 64 in flight, $DURATION)"
"$WORK/loadgen" -url "http://127.0.0.1:$PORT" -key "$KEY" -mode single -concurrency 64 -duration "$DURATION" | sed -n '/^requests/,$p'
echo
echo "== batches of 100 (POST /api/v1/traces/batch, 8 in flight, $DURATION)"
"$WORK/loadgen" -url "http://127.0.0.1:$PORT" -key "$KEY" -mode batch -batch 100 -concurrency 8 -duration "$DURATION" | sed -n '/^requests/,$p'
echo
echo "== OTLP/HTTP protobuf, 100 spans per request in traces of 5 (POST /v1/traces, 8 in flight, $DURATION)"
"$WORK/loadgen" -url "http://127.0.0.1:$PORT" -key "$KEY" -mode otlp -batch 100 -concurrency 8 -duration "$DURATION" | sed -n '/^requests/,$p'
echo
echo "RSS after load: $(rss_mb $PID) MB"
curl -fs "http://127.0.0.1:$PORT/metrics" | grep -E '^agentobs_commit_(batch_traces|duration_seconds)_(sum|count)' || true
stop_server

echo
echo "== start-up on a database of $SEED_TRACES traces"
if [ ! -f "$SEEDED/agentobs.duckdb" ]; then
  echo "seeding $SEEDED (once; reused by later runs)"
  "$WORK/agentobs" seed --data-dir "$SEEDED" --traces "$SEED_TRACES" --days 30 --init-api-key "$KEY"
fi
for i in 1 2 3; do
  start_server "$SEEDED"
  sleep 1
  echo "run $i: start-up to ready ${READY_MS} ms; idle RSS $(rss_mb $PID) MB"
  stop_server
done
