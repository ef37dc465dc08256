#!/usr/bin/env bash
# Guardrail benchmarks: the detectors on 1 KB texts (spans per CPU-second, one core), the
# check endpoint's p99 over HTTP, and ingestion throughput with guardrails off and with the
# background scan of every span (default: every category flags), for flat traces in
# batches of 100 and for OTLP/HTTP (100 spans a request, traces of 5).
#
# Off and on alternate, ROUNDS times each, on a fresh data directory every run: single
# runs on two shared cores swing by a fifth, so the ratio is taken per round and the
# median reported. Each run also prints the server's CPU per acknowledged trace, which
# moves much less than throughput does.
#
#   bench/guardrails.sh
#   DURATION=40s ROUNDS=3 bench/guardrails.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-30s}
ROUNDS=${ROUNDS:-2}
PORT=${PORT:-18775}
KEY=ao_bench_guardrails_0123456789abcdef
WORK=$(mktemp -d)
SERVER=
trap 'kill $SERVER $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "== detectors, 1 KB texts, one core"
go test -run '^$' -bench 'Scan' -benchtime 20000x -cpu 1 ./internal/guardrail/ | grep Benchmark
echo
echo "== check endpoint over HTTP, 1 KB"
go test -run '^$' -bench 'Check1KB' -benchtime 5000x ./internal/httpapi/ | grep Benchmark

go build -o "$WORK/agentobs" ./cmd/agentobs
go build -o "$WORK/loadgen" ./bench/loadgen

metric() { curl -fs "http://127.0.0.1:$PORT/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

run() { # load (batch|otlp), guardrails flag; writes "<rate> <unit> <µs CPU per trace>" to $WORK/run
  local load=$1 flag=$2
  rm -rf "$WORK/data"
  AGENTOBS_INIT_API_KEY=$KEY "$WORK/agentobs" serve --addr "127.0.0.1:$PORT" --otlp-grpc-addr "" \
    --data-dir "$WORK/data" --guardrails "$flag" >"$WORK/server.log" 2>&1 &
  local pid=$!
  SERVER=$pid
  until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do
    kill -0 $pid 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.01
  done
  local t0 c0 out t1 c1
  t0=$(metric agentobs_ingested_traces_total); c0=$(cpu_ticks $pid)
  out=$("$WORK/loadgen" -url "http://127.0.0.1:$PORT" -key "$KEY" -mode "$load" -batch 100 -concurrency 8 -duration "$DURATION" || true)
  t1=$(metric agentobs_ingested_traces_total); c1=$(cpu_ticks $pid)
  kill -TERM $pid; wait $pid || true
  SERVER=
  if echo "$out" | grep -q '^failed requests *[1-9]'; then
    echo "$out" >&2
    exit 1
  fi
  local rate
  if [ "$load" = otlp ]; then
    rate="$(echo "$out" | awk '$1 == "spans/s" { print $2 }') spans/s"
  else
    rate="$(echo "$out" | awk '$1 == "traces/s" { print $2 }') traces/s"
  fi
  # Counters past a million print in exponent form: awk does the arithmetic.
  awk -v r="$rate" -v c=$((c1 - c0)) -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { t = t1 - t0; printf "%s %.0f\n", r, (t > 0 ? c / hz * 1e6 / t : 0) }' >"$WORK/run"
}

for load in batch otlp; do
  echo
  echo "== $load: guardrails off and on alternating, $ROUNDS rounds of $DURATION"
  ratios=()
  for round in $(seq "$ROUNDS"); do
    run "$load" off
    read -r off unit offcpu <"$WORK/run"
    run "$load" on
    read -r on _ oncpu <"$WORK/run"
    ratio=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", a / b }')
    ratios+=("$ratio")
    echo "round $round: off $off $unit ($offcpu µs CPU per trace), on $on $unit ($oncpu µs CPU per trace): on/off $ratio"
  done
  printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "median on/off: %.2f\n", m }'
done
