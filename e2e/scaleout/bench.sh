#!/usr/bin/env bash
# Scale-out benchmark on this machine: PostgreSQL and Redis as for the tests, one ingest and
# two process roles fed by bench/loadgen, then the query API's dashboard endpoints on a
# database of SEED_TRACES traces.
#
#   e2e/scaleout/bench.sh                      # 6-span traces, 30 s; 1M traces for queries
#   SPANS=0 DURATION=20s SEED_TRACES=200000 e2e/scaleout/bench.sh
#   SEED_TRACES=0 e2e/scaleout/bench.sh       # ingestion only
#   PLAN_SCALE=10 SEED_TRACES=0 e2e/scaleout/bench.sh   # also the plan's load shape at 10x (agentobs bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
SPANS=${SPANS:-6}
DURATION=${DURATION:-30s}
CONCURRENCY=${CONCURRENCY:-8}
SEED_TRACES=${SEED_TRACES:-1000000}
QUERY_RUNS=${QUERY_RUNS:-40}
KEY=ao_bench_scaleout_0123456789abcdef
WORK=$(mktemp -d)
chmod 755 "$WORK" # the postgres user runs the cluster inside it
export AGENTOBS_SCALEOUT_DIR=$WORK/services
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; e2e/scaleout/services.sh stop; rm -rf "$WORK"' EXIT
e2e/scaleout/services.sh start
# shellcheck disable=SC1091
source "$AGENTOBS_SCALEOUT_DIR/env"
go build -o "$WORK/agentobs" ./cmd/agentobs
go build -o "$WORK/loadgen" ./bench/loadgen

db() { psql -q -X "$AGENTOBS_TEST_POSTGRES_DSN" -c "$1" >/dev/null; }
dsn() { echo "postgres://postgres@127.0.0.1:$PGPORT/$1?sslmode=disable"; }
export AGENTOBS_STORE=postgres API_KEY_SALT=bench-salt-0123456789abcdef0123456789 JWT_SECRET=bench-jwt-0123456789abcdef0123456789ab
export AGENTOBS_INIT_API_KEY=$KEY AGENTOBS_LOG_LEVEL=warn

serve() { # name roles port [flags...]
  local name=$1 roles=$2 port=$3; shift 3
  "$WORK/agentobs" serve --roles="$roles" --addr "127.0.0.1:$port" --data-dir "$WORK/$name" "$@" >"$WORK/$name.log" 2>&1 &
  until curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1; do sleep 0.05; done
}

echo "== ingest: 1 ingest + 2 process roles through Redis into PostgreSQL, $SPANS spans per trace, $DURATION"
db "CREATE DATABASE ingest"
export AGENTOBS_POSTGRES_DSN=$(dsn ingest) REDIS_URL=$AGENTOBS_TEST_REDIS_URL
serve ingest ingest 18301
serve p1 process 18302
serve p2 process 18303
GOMAXPROCS=1 "$WORK/loadgen" -url http://127.0.0.1:18301 -key "$KEY" -mode batch -batch 100 -concurrency "$CONCURRENCY" \
  -spans "$SPANS" -duration "$DURATION" -warmup 2s | sed -n '/^traces ack/p;/^traces\/s/p;/^latency/p;/^errors/p'
until [ "$(curl -fs http://127.0.0.1:18301/metrics | awk '/^agentobs_queue_(consumer_lag|pending) /{s+=$2} END{print s+0}')" = 0 ]; do sleep 0.2; done
psql -X -t -A -F' ' "$AGENTOBS_POSTGRES_DSN" -c "SELECT count(*), sum(greatest(span_count, 1)),
  extract(epoch FROM max(ingested_at) - min(ingested_at)) FROM traces" |
  awk '{printf "stored %d traces, %d spans (a flat trace counts as its one llm span) in %.1f s: %.0f spans/s end to end\n", $1, $2, $3, $2/$3}'
kill %1 %2 %3; wait 2>/dev/null || true

if [ "${PLAN_SCALE:-0}" != 0 ]; then
  echo
  echo "== the plan's load shape at ${PLAN_SCALE}x its rates: agentobs bench, ingest role and api,query role, 2 process roles"
  db "CREATE DATABASE loadtest"
  export AGENTOBS_POSTGRES_DSN=$(dsn loadtest)
  serve lt-api api,query 18311
  serve lt-ingest ingest 18312
  serve lt-p1 process 18313
  serve lt-p2 process 18314
  "$WORK/agentobs" bench --url http://127.0.0.1:18312 --dashboard-url http://127.0.0.1:18311 --key "$KEY" \
    --scale "$PLAN_SCALE" --ramp "${PLAN_RAMP:-20s}" --hold "${PLAN_HOLD:-40s}" --quiet
  kill $(jobs -p); wait 2>/dev/null || true
fi
unset REDIS_URL
[ "$SEED_TRACES" -gt 0 ] || exit 0

echo
echo "== queries: dashboard endpoints on $SEED_TRACES traces in PostgreSQL (query role, every answer computed afresh)"
db "CREATE DATABASE query"
export AGENTOBS_POSTGRES_DSN=$(dsn query)
start=$(date +%s)
"$WORK/agentobs" seed --traces "$SEED_TRACES" --days 30 --quiet --data-dir "$WORK/seed"
echo "seeded in $(( $(date +%s) - start )) s"
psql -X -q "$AGENTOBS_POSTGRES_DSN" -c "VACUUM ANALYZE"
serve q api,query 18304
for path in /api/v1/metrics/home-kpis?range=24h /api/v1/usage/overview?range=7d /api/v1/usage/calls-over-time?range=7d \
  /api/v1/usage/agent-distribution?range=30d /api/v1/cost/overview?range=30d /api/v1/cost/trend?range=30d \
  /api/v1/cost/by-model?range=30d /api/v1/performance/overview?range=24h /api/v1/performance/latency?range=7d \
  /api/v1/performance/errors?range=7d "/api/v1/traces?range=24h&limit=50" /api/v1/sessions?range=7d /api/v1/users?range=7d; do
  for _ in $(seq 1 "$QUERY_RUNS"); do
    curl -fs -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $KEY" -H "Cache-Control: no-cache" "http://127.0.0.1:18304$path" || echo fail
  done | sort -n | awk -v p="$path" '/fail/{f++; next} {t[NR]=$1*1000} END{n=NR-f; printf "%-48s p50 %7.1f ms  p95 %7.1f ms  max %7.1f ms%s\n", p, t[int(n*0.5+0.5)], t[int(n*0.95+0.5)], t[n], (f ? "  FAILED " f : "")}'
done
