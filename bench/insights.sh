#!/usr/bin/env bash
# Insights benchmark: builds agentobs, seeds a database once (reused by later runs), starts the
# server on it and times every analysis over the last 30 days through the API, as the Cost
# and Home pages and the daily job run them: cost optimisation (model switches, prompt-cache
# prefixes, duplicates, retries and tool loops, long contexts), error diagnosis (template
# mining, spikes), feedback analysis (sentiment, terms, score drops) and a daily summary.
# Each run is computed afresh and stored. Narration is off (no model is configured).
#
#   bench/insights.sh                          # 1M traces over 30 days, seeded into bench/.data-1000000
#   DATA_DIR=bench/.data-insights REPEAT=5 bench/insights.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SEED_TRACES=${SEED_TRACES:-1000000}
REPEAT=${REPEAT:-3}
PORT=${PORT:-18786}
KEY=${KEY:-ao_bench_0123456789abcdef0123456789}
DATA_DIR=${DATA_DIR:-bench/.data-$SEED_TRACES}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

go build -o "$WORK/agentobs" ./cmd/agentobs
if [ ! -f "$DATA_DIR/agentobs.duckdb" ]; then
  echo "seeding $SEED_TRACES traces into $DATA_DIR (once; reused by later runs)"
  "$WORK/agentobs" seed --data-dir "$DATA_DIR" --traces "$SEED_TRACES" --days 30 --init-api-key "$KEY" --quiet
fi

SETUP=aosetup_bench_$(date +%s)
AGENTOBS_INIT_API_KEY=$KEY AGENTOBS_SETUP_SECRET=$SETUP "$WORK/agentobs" serve --addr "127.0.0.1:$PORT" --otlp-grpc-addr "" \
  --data-dir "$DATA_DIR" --insights-narration off >"$WORK/server.log" 2>&1 &
PID=$!
until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do
  kill -0 $PID 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.05
done
base="http://127.0.0.1:$PORT"
# Analyses need the write permission, which API keys do not have: sign in as the workspace's
# owner (registered with the setup secret on the first run).
login='{"email":"bench@example.com","password":"bench-insights-1m"}'
TOKEN=$(curl -fsS -H "Content-Type: application/json" -d "$login" "$base/api/v1/auth/login" 2>/dev/null ||
  curl -fsS -H "Content-Type: application/json" -d "${login%\}},\"name\":\"bench\",\"setup_key\":\"$SETUP\"}" "$base/api/v1/auth/register")
TOKEN=$(echo "$TOKEN" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
to=$(date -u +%Y-%m-%dT%H:%M:%SZ)
from=$(date -u -d "30 days ago" +%Y-%m-%dT%H:%M:%SZ)
body="{\"from\":\"$from\",\"to\":\"$to\"}"
count=$(curl -fsS -H "Authorization: Bearer $KEY" "$base/api/v1/metrics/home-kpis?range=30d" | sed -E 's/.*"total_requests":\{"value":([0-9]+).*/\1/')
echo "traces in the last 30 days: $count"

# run METHOD PATH [BODY]: seconds for one request.
run() {
  local method=$1 path=$2 data=${3:-}
  local out
  if [ "$method" = POST ]; then
    out=$(curl -fsS -o "$WORK/answer.json" -w '%{time_total}' -X POST -H "Authorization: Bearer $TOKEN" \
      -H "Content-Type: application/json" -d "$data" "$base$path")
  else
    out=$(curl -fsS -o "$WORK/answer.json" -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "$base$path")
  fi
  echo "$out"
}
for ((i = 1; i <= REPEAT; i++)); do
  c=$(run POST /api/v1/insights/cost-optimization "$body")
  e=$(run POST /api/v1/insights/error-diagnosis "$body")
  f=$(run POST /api/v1/insights/feedback-analysis "$body")
  # Today's summary: a day that has not ended is computed afresh on every request.
  d=$(run GET "/api/v1/insights/daily-summary?date=$(date -u +%Y-%m-%d)")
  awk -v c="$c" -v e="$e" -v f="$f" -v d="$d" -v i="$i" 'BEGIN {
    printf "round %d: cost %.2f s, errors %.2f s, feedback %.2f s, daily summary %.2f s, all %.2f s\n", i, c, e, f, d, c + e + f + d }'
done
curl -fsS -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d "$body" "$base/api/v1/insights/cost-optimization" |
  python3 -c 'import json,sys; r=json.load(sys.stdin); print("cost findings:", len(r["findings"]), "total savings $%.2f" % r["total_savings_usd"])'
curl -fsS -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d "$body" "$base/api/v1/insights/error-diagnosis" |
  python3 -c 'import json,sys; r=json.load(sys.stdin); print("error findings:", len(r["findings"]))'
echo "server RSS $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' /proc/$PID/status)"
