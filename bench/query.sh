#!/usr/bin/env bash
# Query benchmark: builds agentobs, seeds a database once (reused by later runs), starts the
# server on it and times every dashboard route, the first page of the trace list and trace
# detail: p50/p95/max over REPEAT requests each, all computed afresh (Cache-Control:
# no-cache bypasses the answer cache), after one warm-up request. Ends with the server's RSS.
#
#   bench/query.sh                          # 1M traces over 30 days, seeded into bench/.data-1000000
#   SEED_TRACES=10000000 bench/query.sh     # 10M (seeding takes a long while and several GB)
#   DATA_DIR=/path/to/seeded REPEAT=50 bench/query.sh
#   SERVE_FLAGS="--duckdb-memory-limit 512MB" bench/query.sh
#   BIN=/path/to/older/agentobs bench/query.sh   # time another build (before/after figures)
#   AGENTOBS_STORE=postgres AGENTOBS_POSTGRES_DSN=postgres://… bench/query.sh   # seeds an empty database once
set -euo pipefail
cd "$(dirname "$0")/.."

SEED_TRACES=${SEED_TRACES:-1000000}
REPEAT=${REPEAT:-20}
PORT=${PORT:-18766}
KEY=${KEY:-ao_bench_0123456789abcdef0123456789}
SERVE_FLAGS=${SERVE_FLAGS:-}
DATA_DIR=${DATA_DIR:-bench/.data-$SEED_TRACES}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

if [ -n "${BIN:-}" ]; then
  cp "$BIN" "$WORK/agentobs"
else
  go build -o "$WORK/agentobs" ./cmd/agentobs
fi

if [ "${AGENTOBS_STORE:-duckdb}" = postgres ]; then
  if [ "$(psql -X -t -A "$AGENTOBS_POSTGRES_DSN" -c "SELECT to_regclass('traces') IS NOT NULL AND EXISTS (SELECT 1 FROM traces)" 2>/dev/null)" != t ]; then
    echo "seeding $SEED_TRACES traces into PostgreSQL (once; reused by later runs)"
    "$WORK/agentobs" seed --data-dir "$DATA_DIR" --traces "$SEED_TRACES" --days 30 --init-api-key "$KEY" --quiet
    psql -X -q "$AGENTOBS_POSTGRES_DSN" -c "VACUUM ANALYZE"
  fi
elif [ ! -f "$DATA_DIR/agentobs.duckdb" ]; then
  echo "seeding $SEED_TRACES traces into $DATA_DIR (once; reused by later runs)"
  "$WORK/agentobs" seed --data-dir "$DATA_DIR" --traces "$SEED_TRACES" --days 30 --init-api-key "$KEY" --quiet
fi

start=$(date +%s%N)
AGENTOBS_INIT_API_KEY=$KEY "$WORK/agentobs" serve --addr "127.0.0.1:$PORT" --otlp-grpc-addr "127.0.0.1:$((PORT + 1))" \
  --data-dir "$DATA_DIR" $SERVE_FLAGS >"$WORK/server.log" 2>&1 &
PID=$!
until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do
  kill -0 $PID 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.05
done
echo "server ready in $(( ($(date +%s%N) - start) / 1000000 )) ms (includes pending migrations); RSS $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' /proc/$PID/status)"

base="http://127.0.0.1:$PORT"
get() { curl -fsS -H "Authorization: Bearer $KEY" -H "Cache-Control: no-cache" "$base$1"; }
count=$(get "/api/v1/metrics/home-kpis?range=30d" | sed -E 's/.*"total_requests":\{"value":([0-9]+).*/\1/')
echo "traces in the last 30 days: $count"

# time_route NAME PATH...: REPEAT requests spread over the given paths, after a warm-up.
time_route() {
  local name=$1; shift
  local paths=("$@") i
  for p in "${paths[@]}"; do get "$p" >/dev/null; done
  for ((i = 0; i < REPEAT; i++)); do
    curl -fsS -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $KEY" -H "Cache-Control: no-cache" \
      "$base${paths[$((i % ${#paths[@]}))]}"
  done | sort -n | awk -v name="$name" '{ v[NR] = $1 * 1000 } END {
    p50 = v[int((NR - 1) * 0.50) + 1]; p95 = v[int((NR - 1) * 0.95) + 1];
    printf "%-44s p50 %7.1f ms   p95 %7.1f ms   max %7.1f ms\n", name, p50, p95, v[NR] }'
}

echo
echo "== dashboards (defaults of each route; REPEAT=$REPEAT uncached requests each)"
for route in metrics/home-kpis alerts/recent activity/stream metrics/aggregations \
  usage/overview usage/calls-over-time usage/agent-distribution usage/top-users \
  cost/overview cost/trend cost/by-model cost/budget \
  performance/overview performance/latency performance/throughput performance/errors; do
  time_route "$route" "/api/v1/$route"
done

echo
echo "== the same over 30 days"
for route in metrics/home-kpis metrics/aggregations usage/overview usage/calls-over-time usage/top-users \
  performance/overview performance/latency performance/throughput performance/errors; do
  time_route "$route?range=30d" "/api/v1/$route?range=30d"
done
time_route "performance/latency?range=24h&granularity=5m" "/api/v1/performance/latency?range=24h&granularity=5m"

echo
echo "== trace explorer"
time_route "traces (first page, with total)" "/api/v1/traces"
time_route "traces?status=error&agent_id=… (first page)" "/api/v1/traces?status=error&agent_id=support-bot"
time_route "traces?sort=latency_ms (first page)" "/api/v1/traces?sort=latency_ms"
time_route "traces?range=24h&q=refund (first page)" "/api/v1/traces?range=24h&q=refund"
ids=$(get "/api/v1/traces?sort=latency_ms&limit=$REPEAT" | grep -o '"trace_id":"[^"]*"' | cut -d'"' -f4)
paths=()
for id in $ids; do paths+=("/api/v1/traces/$id"); done
time_route "traces/{trace_id} ($REPEAT different traces)" "${paths[@]}"
session=$(get "/api/v1/traces?limit=1" | grep -o '"session_id":"[^"]*"' | head -1 | cut -d'"' -f4)
time_route "sessions (first page)" "/api/v1/sessions"
time_route "sessions/{session_id}" "/api/v1/sessions/$session"
time_route "users (first page)" "/api/v1/users"

echo
echo "== trace explorer over 30 days"
time_route "traces?range=30d&sort=latency_ms&order=desc" "/api/v1/traces?range=30d&sort=latency_ms&order=desc"
time_route "traces?range=30d&sort=cost_usd&order=desc" "/api/v1/traces?range=30d&sort=cost_usd&order=desc"
time_route "traces?range=7d&q=refund" "/api/v1/traces?range=7d&q=refund"
time_route "traces?range=30d&q=refund" "/api/v1/traces?range=30d&q=refund"
time_route "traces?range=30d&q=ZX-4711 (in no trace)" "/api/v1/traces?range=30d&q=ZX-4711"
time_route "traces?range=30d&q=dumbest (in 2 traces)" "/api/v1/traces?range=30d&q=dumbest"
time_route "sessions?range=30d (first page)" "/api/v1/sessions?range=30d"
time_route "users?range=30d (first page)" "/api/v1/users?range=30d"
time_route "users?range=30d&sort=last_seen" "/api/v1/users?range=30d&sort=last_seen"

echo
awk '/VmHWM/ {h = $2} /VmRSS/ {r = $2} END {printf "server RSS now %.0f MB, peak %.0f MB\n", r / 1024, h / 1024}' /proc/$PID/status
kill -TERM $PID
wait $PID || true
