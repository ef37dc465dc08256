#!/usr/bin/env bash
# Ingestion benchmark: builds agentobs and the load generator, starts a server on a fresh
# data directory, and reports idle memory, single-trace and batch throughput with latency
# percentiles, and start-up time to ready on a database holding many traces.
#
#   bench/ingest.sh                 # all of it; seeds 1M traces once into bench/.data-1m
#   SEED_TRACES=200000 bench/ingest.sh
#   DURATION=30s bench/ingest.sh
#   SEED_TRACES=0 bench/ingest.sh   # ingestion only, no start-up measurement
#   BIN=/path/to/older/agentobs bench/ingest.sh   # measure another build (before/after figures)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
SEED_TRACES=${SEED_TRACES:-1000000}
PORT=${PORT:-18765}
GRPC_PORT=${GRPC_PORT:-18766}
KEY=ao_bench_0123456789abcdef0123456789
WORK=$(mktemp -d)
SEEDED=bench/.data-$SEED_TRACES
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

if [ -n "${BIN:-}" ]; then
  cp "$BIN" "$WORK/agentobs"
else
  go build -o "$WORK/agentobs" ./cmd/agentobs
fi
go build -o "$WORK/loadgen" ./bench/loadgen

rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
# cpu_ticks PID: user + system CPU time of the server so far, in clock ticks. CPU per trace
# varies less than throughput when the load generator shares the machine.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

start_server() { # data-dir -> sets PID and READY_MS (time to ready)
  local dir=$1 start end
  start=$(date +%s%N)
  AGENTOBS_INIT_API_KEY=$KEY "$WORK/agentobs" serve --addr "127.0.0.1:$PORT" --otlp-grpc-addr "127.0.0.1:$GRPC_PORT" --data-dir "$dir" >"$WORK/server.log" 2>&1 &
  PID=$!
  until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do
    kill -0 $PID 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
    sleep 0.005
  done
  end=$(date +%s%N)
  READY_MS=$(( (end - start) / 1000000 ))
}

stop_server() { kill -TERM "$PID"; wait "$PID" || true; }

metric() { curl -fs "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {printf "%d", $2}'; }

# run_load NAME LOADGEN-ARGS...: one measured run, then what the write-ahead log did during it:
# fsyncs per second, bytes written per trace, and the commit lag left when the load stopped.
run_load() {
  local name=$1; shift
  echo
  echo "== $name"
  local f0 b0 t0 s0 c0 out
  f0=$(metric agentobs_wal_fsyncs_total); b0=$(metric agentobs_wal_written_bytes_total)
  t0=$(metric agentobs_ingested_traces_total); s0=$(date +%s%N); c0=$(cpu_ticks $PID)
  out=$("$WORK/loadgen" -url "http://127.0.0.1:$PORT" -key "$KEY" -probe "$@" || true)
  echo "$out" | sed -n '/^requests/,$p'
  local f1 b1 t1 s1 c1 secs
  f1=$(metric agentobs_wal_fsyncs_total); b1=$(metric agentobs_wal_written_bytes_total)
  t1=$(metric agentobs_ingested_traces_total); s1=$(date +%s%N); c1=$(cpu_ticks $PID)
  secs=$(( (s1 - s0) / 1000000 ))
  awk -v f=$((f1 - f0)) -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v ms="$secs" -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {
    printf "server CPU: %.0f %%, %.0f µs per trace acknowledged\n", c * 100 / hz * 1000 / ms, (t > 0 ? c / hz * 1e6 / t : 0)
    printf "log: %.0f fsyncs/s, %.0f bytes per trace, ", f * 1000 / ms, (t > 0 ? b / t : 0) }'
  echo "commit lag at the end: $(metric agentobs_wal_commit_lag_records) records, RSS $(rss_mb $PID) MB"
}

echo "== fresh data directory"
start_server "$WORK/data"
sleep 2
echo "start-up to ready: ${READY_MS} ms; idle RSS: $(rss_mb $PID) MB"

run_load "single-trace requests (POST /api/v1/traces, 64 in flight, $DURATION)" -mode single -concurrency 64 -duration "$DURATION"
run_load "single-trace requests, half of them retries of earlier ids (64 in flight, $DURATION)" -mode single -concurrency 64 -repeat 0.5 -duration "$DURATION"
run_load "batches of 100 (POST /api/v1/traces/batch, 8 in flight, $DURATION)" -mode batch -batch 100 -concurrency 8 -duration "$DURATION"
run_load "OTLP/HTTP protobuf, 100 spans per request in traces of 5 (POST /v1/traces, 8 in flight, $DURATION)" -mode otlp -batch 100 -concurrency 8 -duration "$DURATION"
run_load "OTLP/gRPC, 100 spans per request in traces of 5 (TraceService/Export, 8 in flight, $DURATION)" -mode grpc -grpc-addr "127.0.0.1:$GRPC_PORT" -batch 100 -concurrency 8 -duration "$DURATION"
echo
echo "RSS after load: $(rss_mb $PID) MB"
curl -fs "http://127.0.0.1:$PORT/metrics" | grep -E '^agentobs_commit_(batch_traces|duration_seconds)_(sum|count)|^agentobs_wal_' || true
stop_server

[ "$SEED_TRACES" = 0 ] && exit 0
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
