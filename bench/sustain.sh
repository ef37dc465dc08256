#!/usr/bin/env bash
# Sustained ingestion: does the store keep up with the write-ahead log? Starts agentobs on a
# fresh data directory, sends load for DURATION, and every 30 s prints the commit lag
# (records and seconds), the log's size and the server's RSS; at the end it waits for the lag
# to drain, says how long that took, and gives the peak and median RSS sampled every second.
#
#   bench/sustain.sh                                   # 10 minutes of batches of 100
#   DURATION=2m MODE=single CONCURRENCY=64 bench/sustain.sh
#   SERVE_FLAGS="--duckdb-memory-limit 256MiB" bench/sustain.sh   # other server settings
#   BIN=/path/to/older/agentobs bench/sustain.sh                  # another build
#   RATE=150 bench/sustain.sh       # 150 batches a second (15,000 traces/s), not as fast as it goes
#   RATE=100 MODE=single CONCURRENCY=4 PROBE=0 DURATION=20s bench/sustain.sh   # light load; no
#                                   # ack-to-read probe, whose polling would dominate the CPU
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10m}
MODE=${MODE:-batch}
CONCURRENCY=${CONCURRENCY:-8}
SERVE_FLAGS=${SERVE_FLAGS:-}
RATE=${RATE:-0}
PROBE=${PROBE:-1}
PORT=${PORT:-18767}
KEY=ao_bench_0123456789abcdef0123456789
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

if [ -n "${BIN:-}" ]; then
  cp "$BIN" "$WORK/agentobs"
else
  go build -o "$WORK/agentobs" ./cmd/agentobs
fi
go build -o "$WORK/loadgen" ./bench/loadgen

AGENTOBS_INIT_API_KEY=$KEY "$WORK/agentobs" serve --addr "127.0.0.1:$PORT" --otlp-grpc-addr "" --data-dir "$WORK/data" $SERVE_FLAGS >"$WORK/server.log" 2>&1 &
PID=$!
until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do sleep 0.05; done

metric() { curl -fs "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
sample() {
  printf "%6ss  lag %8.0f records %6.2f s  log %6.1f MiB  RSS %6.1f MB\n" "$1" \
    "$(metric agentobs_wal_commit_lag_records)" "$(metric agentobs_wal_commit_lag_seconds)" \
    "$(awk -v b="$(metric agentobs_wal_bytes)" 'BEGIN {print b / 1048576}')" \
    "$(awk '/VmRSS/ {print $2/1024}' "/proc/$PID/status")"
}

# User + system CPU time of the server so far, in clock ticks: the CPU per trace compares
# builds better than throughput, which varies by a tenth between runs of one build.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }

echo "== $MODE, $CONCURRENCY in flight, $DURATION$( [ "$RATE" = 0 ] || echo ", $RATE requests/s offered")"
c0=$(cpu_ticks)
probe=-probe; [ "$PROBE" = 0 ] && probe=
"$WORK/loadgen" -url "http://127.0.0.1:$PORT" -key "$KEY" -mode "$MODE" -concurrency "$CONCURRENCY" \
  -duration "$DURATION" -warmup 0s -rate "$RATE" $probe >"$WORK/load.txt" 2>&1 &
LOAD=$!
# The 30-second samples can miss a peak: RSS is also read every second while the load runs.
( while kill -0 $LOAD 2>/dev/null; do awk '/VmRSS/ {print int($2/1024)}' "/proc/$PID/status"; sleep 1; done ) >"$WORK/rss.txt" &
start=$(date +%s)
next=30
while kill -0 $LOAD 2>/dev/null; do
  sleep 1
  if [ $(( $(date +%s) - start )) -ge $next ] && kill -0 $LOAD 2>/dev/null; then
    sample $(( $(date +%s) - start ))
    next=$(( next + 30 ))
  fi
done
wait $LOAD || true
sed -n '/^requests/,$p' "$WORK/load.txt"
end=$(date +%s)
until [ "$(metric agentobs_wal_commit_lag_records)" = 0 ]; do sleep 0.2; done
echo "backlog drained $(( $(date +%s) - end )) s after the load stopped"
awk -v c=$(( $(cpu_ticks) - c0 )) -v hz="$(getconf CLK_TCK)" -v t="$(awk '/^traces acknowledged/ {print $3}' "$WORK/load.txt")" \
  -v secs="$(awk '/^elapsed/ {print $2}' "$WORK/load.txt")" \
  'BEGIN {if (t > 0) printf "server CPU until drained: %.1f µs per acknowledged trace, %.0f %% of a core over the load\n", c / hz / t * 1e6, c / hz / secs * 100}'
sample "end"
sort -n "$WORK/rss.txt" | awk '{v[NR] = $1}
  END {p = int(NR * 0.99); if (p < 1) p = 1; if (NR) printf "RSS under load, every second: median %d MB, p99 %d MB, peak %d MB (%d samples)\n", v[int((NR + 1) / 2)], v[p], v[NR], NR}'
