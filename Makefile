# chatproxy: `make run` starts the demo, `make test` runs every test (Go, widget unit, browser e2e).
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/chatproxy/chatproxy/internal/cli.Version=$(VERSION)
WIDGET := web/widget
FUZZTIME ?= 10s

.PHONY: all build build-go widget run test test-go test-widget test-e2e vet fmt-check fuzz bench soak rolling clean

all: build

## build: widget assets (Vite) embedded into bin/chatproxy
build: widget build-go

build-go:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/chatproxy ./cmd/chatproxy

widget: $(WIDGET)/node_modules/.package-lock.json
	cd $(WIDGET) && npm run build

# npm ci first; the registry reachable here lists only some of rollup's optional platform
# packages, which makes npm ci refuse the lockfile, so fall back to npm install (which still
# installs the locked versions).
$(WIDGET)/node_modules/.package-lock.json: $(WIDGET)/package-lock.json
	cd $(WIDGET) && (npm ci --no-audit --no-fund || npm install --no-audit --no-fund)

## run: build everything and start the demo (no configuration needed)
run: build
	./bin/chatproxy serve

## test: everything CI runs
test: fmt-check vet build test-go test-widget test-e2e

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

test-go:
	$(GO) test -race -count=1 -timeout 15m ./...

test-widget:
	cd $(WIDGET) && npm run typecheck && npm test

test-e2e: build
	cd $(WIDGET) && CHATPROXY_BIN=$(CURDIR)/bin/chatproxy npm run e2e

## fuzz: run every fuzz target for FUZZTIME
fuzz:
	@set -e; for spec in \
	  ./internal/upstream:FuzzParseStream \
	  ./internal/stream:FuzzEventFrame \
	  ./internal/auth:FuzzVerify \
	  ./internal/origin:FuzzOrigin \
	  ./internal/httpapi:FuzzDecodeMessage \
	  ./internal/clientip:FuzzClientIP; do \
	  pkg=$${spec%%:*}; fn=$${spec##*:}; \
	  echo "fuzz $$fn ($$pkg) for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

## bench: load generator against the fake n8n (SQLite and PostgreSQL); see docs/benchmarks.md
bench:
	$(GO) run ./cmd/chatbench $(BENCHFLAGS)

## soak: 30 minutes at 300 exchanges/s on PostgreSQL; fails on any failed exchange or growing memory/goroutines/fds
SOAKFLAGS ?= -engine postgres -soak 30m -rate 300
soak:
	$(GO) run ./cmd/chatbench $(SOAKFLAGS)

## rolling: one of two replicas (PostgreSQL + Redis) stopped with 1,000 answers streaming; fails on anything lost or duplicated
ROLLINGFLAGS ?= -rolling 1000 -hold 10s
rolling:
	$(GO) run ./cmd/chatbench $(ROLLINGFLAGS)

clean:
	rm -rf bin internal/webui/dist/widget internal/webui/dist/demo internal/webui/dist/embed.js internal/webui/dist/admin
