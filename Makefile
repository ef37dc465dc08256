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

.PHONY: run build test test-go test-sdk test-python test-typescript test-deploy lint fuzz bench clean

run: build
	./$(BIN) serve

build:
	$(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/agentobs

test: lint test-go test-sdk test-deploy
	@echo "all test suites passed"

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

test-go: build
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race ./internal/queue/... ./internal/auth/... ./internal/model/...

test-sdk: build test-python test-typescript

test-python: build
	$(MAKE) -C sdk/python test

test-typescript: build
	$(MAKE) -C sdk/typescript test

# The compose file is validated with Debian's docker-compose; no engine runs here.
test-deploy:
	@command -v docker-compose >/dev/null || $(SUDO) apt-get install -y -q docker-compose >/dev/null
	docker-compose -f deploy/docker-compose.yml config -q
	@echo "deploy/docker-compose.yml is valid"

FUZZTIME ?= 30s
fuzz:
	$(GO) test -run x -fuzz FuzzDecodeTrace -fuzztime $(FUZZTIME) ./internal/ingest/
	$(GO) test -run x -fuzz FuzzDecodeBatch -fuzztime $(FUZZTIME) ./internal/ingest/
	$(GO) test -run x -fuzz FuzzParse -fuzztime $(FUZZTIME) ./internal/pricing/

bench: build
	bench/ingest.sh

clean:
	rm -rf bin
