#!/usr/bin/env bash
# The scale-out tests (make test-scaleout): starts PostgreSQL and Redis from Debian's packages
# (installing them when missing), runs the PostgreSQL conformance suite, the Redis queue
# tests and the multi-process tests (separate ingest, process and query roles; kill -9,
# database and Redis outages, poison messages) against them, and stops them again.
# Any failure, including a service that cannot start, fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}

AGENTOBS_SCALEOUT_DIR=$(mktemp -d /tmp/agentobs-scaleout.XXXXXX)
export AGENTOBS_SCALEOUT_DIR
trap 'e2e/scaleout/services.sh stop' EXIT
e2e/scaleout/services.sh start
# shellcheck disable=SC1091
source "$AGENTOBS_SCALEOUT_DIR/env"
export AGENTOBS_SCALEOUT_TESTS=1

$GO test -count=1 ./internal/queue/redisstream/ ./internal/cluster/ ./internal/realtime/
# The store runs aggregates side by side: its suite runs under the race detector only.
$GO test -count=1 -race ./internal/store/postgres/ ./internal/queue/redisstream/ ./internal/cluster/
$GO test -count=1 -run 'TestScaleOut' -timeout 10m ./cmd/agentobs/
echo "scale-out tests passed"
