# The two commands a newcomer needs:
#   make run    build everything and start agentobs on http://localhost:8000
#   make test   run every test suite (Go, SDKs, deployment files); installs what it needs
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN := bin/agentobs
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export AGENTOBS_BIN := $(CURDIR)/$(BIN)

.PHONY: run build web test test-alerts test-go test-sdk test-python test-typescript test-deploy deploy-tools dashboards test-web test-e2e test-scaleout test-otel chromium lint fuzz bench clean

run: build
	./$(BIN) serve

# The binary embeds the web app (web/embed.go), so it is built first.
build: web
	$(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/agentobs

test: lint test-go test-sdk test-deploy test-web test-e2e test-scaleout test-otel test-alerts
	@echo "all test suites passed"

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	cd tools && $(GO) vet ./...

# Statement coverage of every package is printed and held to its floor
# (scripts/go-coverage-floors.txt; raise a floor when coverage rises).
test-go: build
	$(GO) test -count=1 -cover ./... | tee bin/go-coverage.txt
	python3 scripts/coverage-gate.py scripts/go-coverage-floors.txt < bin/go-coverage.txt
	$(GO) test -count=1 -race ./internal/queue/... ./internal/auth/... ./internal/model/... ./internal/alert/...

test-sdk: build test-python test-typescript

test-python: build
	$(MAKE) -C sdk/python test

test-typescript: build
	$(MAKE) -C sdk/typescript test

# Separate ingest, process and query processes on PostgreSQL and Redis, which the script
# installs (Debian packages) and starts; kill -9, outages and poison messages included.
test-scaleout:
	e2e/scaleout/run.sh

# OTLP ingestion with real OpenTelemetry clients (Node and Python SDKs, their exporters,
# the Vercel AI SDK, OpenInference and OpenLLMetry instrumentors) and the Langfuse and
# Phoenix SDKs against the built binary.
test-otel: build
	e2e/otel/run.sh

# Deployment files, each checked by the tool users' pipelines run (docs/production/DEPLOYMENT.md):
# compose config; checkov on the Dockerfile and the rendered chart; the runtime image's
# packages against ldd; helm lint and template for both modes; strict Kubernetes schemas
# (the ServiceMonitor: the Prometheus Operator's Go types);
# promtool rule tests; the Grafana dashboards strictly decoded and compared with their
# generator; actionlint on the workflows. Tools are built or installed once into the cache.
TOOLS_CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/agentobs
TOOLS_BIN := $(TOOLS_CACHE)/tools-$(shell cat tools/go.sum 2>/dev/null | sha256sum | cut -c1-12)
HELM := $(TOOLS_BIN)/helm
ACTIONLINT := $(TOOLS_BIN)/actionlint
# Helm reports the version it is stamped with; a plain build says only v4.3.
HELM_VERSION := $(shell awk '$$1 == "helm.sh/helm/v4" {print $$2}' tools/go.mod)
DEPLOY_VENV := $(TOOLS_CACHE)/deploy-venv-$(shell sha256sum tools/requirements-deploy.txt 2>/dev/null | cut -c1-12)
CHART := deploy/helm/agentobs
RENDERED := bin/rendered

# Helm and actionlint come from tools/go.mod so their dependencies stay out of the product's.
$(HELM) $(ACTIONLINT) &: tools/go.mod tools/go.sum
	mkdir -p $(TOOLS_BIN)
	cd tools && $(GO) build -o $(TOOLS_BIN)/ \
	  -ldflags "-X helm.sh/helm/v4/internal/version.version=$(HELM_VERSION)" \
	  helm.sh/helm/v4/cmd/helm github.com/rhysd/actionlint/cmd/actionlint
	@# Builds for an older tools/go.sum are never used again.
	find $(TOOLS_CACHE) -maxdepth 1 -name 'tools-*' ! -path '$(TOOLS_BIN)' -exec rm -rf {} +

$(DEPLOY_VENV)/.installed: tools/requirements-deploy.txt
	python3 -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/pip install -q --disable-pip-version-check -r tools/requirements-deploy.txt
	find $(TOOLS_CACHE) -maxdepth 1 -name 'deploy-venv-*' ! -path '$(DEPLOY_VENV)' -exec rm -rf {} +
	@touch $@

deploy-tools: $(HELM) $(ACTIONLINT) $(DEPLOY_VENV)/.installed
	@command -v docker-compose >/dev/null || { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q docker-compose >/dev/null; }
	@command -v promtool >/dev/null || { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q prometheus >/dev/null; }

# Checkov reaches for its vendor's API unless told not to; nothing here needs the network.
CHECKOV := $(DEPLOY_VENV)/bin/checkov --compact --quiet --skip-download

test-deploy: build deploy-tools
	docker-compose -f deploy/docker-compose.yml config -q
	$(CHECKOV) --framework dockerfile -f Dockerfile
	deploy/check-runtime-libs.sh $(BIN) Dockerfile
	rm -rf $(RENDERED) && mkdir -p $(RENDERED)/embedded $(RENDERED)/scaleout
	$(HELM) lint --strict $(CHART)
	$(HELM) lint --strict $(CHART) -f $(CHART)/values-scaleout.yaml --set secret.existingSecret=agentobs
	$(HELM) template agentobs $(CHART) --namespace agentobs > $(RENDERED)/embedded/agentobs.yaml
	$(HELM) template agentobs $(CHART) --namespace agentobs -f $(CHART)/values-scaleout.yaml \
	  --set secret.existingSecret=agentobs > $(RENDERED)/scaleout/agentobs.yaml
	$(DEPLOY_VENV)/bin/kubernetes-validate --strict --quiet $(RENDERED)/embedded/agentobs.yaml $(RENDERED)/scaleout/agentobs.yaml
	cd tools && $(GO) run ./cmd/servicemonitor ../$(RENDERED)/scaleout/agentobs.yaml
	$(CHECKOV) --framework kubernetes -d $(RENDERED)/embedded
	$(CHECKOV) --framework kubernetes -d $(RENDERED)/scaleout
	$(DEPLOY_VENV)/bin/python deploy/helm/check-rendered.py $(BIN) $(RENDERED)/embedded/agentobs.yaml $(RENDERED)/scaleout/agentobs.yaml
	promtool check rules deploy/prometheus/*.yml
	promtool test rules deploy/prometheus/tests/*.test.yml
	cd tools && $(GO) run ./cmd/dashboards -check -dir ../deploy/grafana
	$(ACTIONLINT) .github/workflows/*.yml
	@echo "deployment files are valid"

# Rewrites deploy/grafana from tools/cmd/dashboards.
dashboards:
	cd tools && $(GO) run ./cmd/dashboards -dir ../deploy/grafana

# Web app (docs/web.md): npm ci only when the lock changed, the Vite build only when a
# source changed.
WEB_SRC := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts \
	web/tsconfig.json web/package.json web/scripts/keep-dist.mjs
web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run build

web: web/dist/index.html

# Typecheck, ESLint with zero findings, the API types regenerated from
# internal/httpapi/openapi.json without a diff, component tests with their coverage floor
# (vite.config.ts), and each route's initial JavaScript under 300 KB gzipped.
test-web: web
	cd web && npm run typecheck && npm run lint && npm run check:api && npm test && npm run size

e2e/web/node_modules/.package-lock.json: e2e/web/package-lock.json
	cd e2e/web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	@touch $@

# Browser tests drive Debian's Chromium; a browser is never downloaded.
chromium:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q chromium >/dev/null; }

test-e2e: build chromium e2e/web/node_modules/.package-lock.json
	cd e2e/web && npm run typecheck && npx playwright test

# Alerts end to end: the built binary fires and resolves a rule tripped by ingested data,
# seen at a webhook and in mailpit, which is built once (pinned) into the user's cache.
MAILPIT_VERSION := v1.27.11
MAILPIT := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/agentobs/mailpit-$(MAILPIT_VERSION)/mailpit
$(MAILPIT):
	mkdir -p $(dir $@)
	GOBIN=$(dir $@) $(GO) install github.com/axllent/mailpit@$(MAILPIT_VERSION)

test-alerts: $(MAILPIT)
	AGENTOBS_TEST_MAILPIT=$(MAILPIT) $(GO) test -count=1 -run 'TestAlertEndToEnd' -v ./cmd/agentobs/
	AGENTOBS_TEST_MAILPIT=$(MAILPIT) $(GO) test -count=1 -run 'TestInviteEmail' -v ./internal/httpapi/

FUZZTIME ?= 30s
fuzz:
	$(GO) test -run x -fuzz FuzzDecodeTrace -fuzztime $(FUZZTIME) ./internal/ingest/
	$(GO) test -run x -fuzz FuzzDecodeBatch -fuzztime $(FUZZTIME) ./internal/ingest/
	$(GO) test -run x -fuzz FuzzFastDecode -fuzztime $(FUZZTIME) ./internal/ingest/
	$(GO) test -run x -fuzz FuzzString -fuzztime $(FUZZTIME) ./internal/jsonlex/
	$(GO) test -run x -fuzz FuzzNumber -fuzztime $(FUZZTIME) ./internal/jsonlex/
	$(GO) test -run x -fuzz FuzzParse -fuzztime $(FUZZTIME) ./internal/pricing/
	$(GO) test -run x -fuzz FuzzTextGrams -fuzztime $(FUZZTIME) ./internal/store/
	$(GO) test -run x -fuzz FuzzLongestTokenRun -fuzztime $(FUZZTIME) ./internal/guardrail/
	$(GO) test -run x -fuzz FuzzByteScans -fuzztime $(FUZZTIME) ./internal/guardrail/
	$(GO) test -run x -fuzz FuzzKeywordIndex -fuzztime $(FUZZTIME) ./internal/guardrail/
	for f in FuzzDecodeProto FuzzDecodeJSON FuzzMapAttributes FuzzParseJSONValue FuzzFastMessages; do \
	  $(GO) test -run x -fuzz $$f -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/ingest/otlp/ || exit 1; done
	$(GO) test -run x -fuzz FuzzOTLPHandler -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/httpapi/
	$(GO) test -run x -fuzz FuzzParseCredential -fuzztime $(FUZZTIME) ./internal/httpapi/
	$(GO) test -run x -fuzz FuzzAuditCursor -fuzztime $(FUZZTIME) ./internal/httpapi/
	$(GO) test -run x -fuzz FuzzAlertBodies -fuzztime $(FUZZTIME) ./internal/httpapi/
	$(GO) test -run x -fuzz FuzzEvaluatorBody -fuzztime $(FUZZTIME) ./internal/httpapi/
	$(GO) test -run x -fuzz FuzzSessionEvaluateBody -fuzztime $(FUZZTIME) ./internal/httpapi/
	$(GO) test -run x -fuzz FuzzInsightBodies -fuzztime $(FUZZTIME) ./internal/httpapi/
	$(GO) test -run x -fuzz FuzzDecodeRequest -fuzztime $(FUZZTIME) ./internal/ingest/langfuse/
	$(GO) test -run x -fuzz FuzzParseRecords -fuzztime $(FUZZTIME) ./internal/queue/wal/
	$(GO) test -run x -fuzz FuzzDecodeItems -fuzztime $(FUZZTIME) ./internal/queue/wal/
	$(GO) test -run x -fuzz FuzzCheckHandler -fuzztime $(FUZZTIME) ./internal/httpapi/
	$(GO) test -run x -fuzz FuzzReadArchive -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/backup/
	$(GO) test -run x -fuzz FuzzParseDSN -fuzztime $(FUZZTIME) ./internal/alert/
	for f in FuzzPII FuzzSecrets FuzzInjection FuzzToxicity FuzzCustomRules FuzzReadModel; do \
	  $(GO) test -run x -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) ./internal/guardrail/ || exit 1; done

bench: build
	bench/ingest.sh
	$(GO) test -run x -bench 'EvaluateRules|NotificationFanOut' -benchtime 3x -timeout 60m ./internal/alert/

clean:
	rm -rf bin
