#!/usr/bin/env bash
# End-to-end test of OTLP ingestion with real OpenTelemetry clients (make test-otel):
# installs the Node and Python clients once, then runs otel_test.go, which starts the
# built binary and reads every client's trace back through the API.
set -euo pipefail
cd "$(dirname "$0")"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

# npm ci rewrites node_modules/.package-lock.json; older than the lockfile means stale.
if [ ! node_modules/.package-lock.json -nt package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ ! .venv/.installed -nt requirements.txt ]; then
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/pip install -q -r requirements.txt
  touch .venv/.installed
fi
cd ../..
AGENTOBS_E2E_OTEL=1 go test -count=1 -v -run 'TestOTLPClients' ./e2e/otel/
