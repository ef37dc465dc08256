#!/usr/bin/env bash
# Evaluation benchmark: batches of 2,000 traces judged through a stand-in Gemini that takes
# 50 ms per answer, with a restart of the evaluate role halfway through each batch. Reports
# evaluations per minute (target: 1,000), judge calls beyond one per trace (must be 0) and
# the peak Go heap.
#
#   bench/eval.sh                # one batch
#   ROUNDS=3 bench/eval.sh       # three batches in a row
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-1}
go test ./internal/eval/ -run '^$' -bench BenchmarkBatchEvaluations -benchtime "${ROUNDS}x" -timeout 30m
