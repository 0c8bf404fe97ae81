# chatproxy: `make run` starts the demo, `make test` runs every test (Go, widget unit, browser e2e).
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/chatproxy/chatproxy/internal/cli.Version=$(VERSION)
WIDGET := web/widget
ADMIN := web/admin
APIGEN := web/apigen
FUZZTIME ?= 10s

.PHONY: all build build-go build-static widget admin image run test test-go test-widget test-e2e deploy-test vet fmt-check tidy-check tree-snapshot tree-check fuzz bench soak rolling clean api-types api-types-check

all: build

## build: widget and console assets (Vite) embedded into bin/chatproxy
build: widget admin build-go

build-go:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/chatproxy ./cmd/chatproxy

## build-static: bin/chatproxy-static, linked statically (CGO_ENABLED=0) for the container image
build-static: widget admin
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/chatproxy-static ./cmd/chatproxy

## image: the container image $(IMAGE) from the host-built binary (FROM scratch: pulls nothing)
IMAGE ?= chatproxy:dev
image: build-static
	VERSION=$(VERSION) REVISION=$$(git rev-parse HEAD 2>/dev/null || echo unknown) \
	  deploy/docker/build-prebuilt.sh bin/chatproxy-static $(IMAGE)

widget: $(WIDGET)/node_modules/.package-lock.json
	cd $(WIDGET) && npm run build

# npm ci installs exactly the lockfile, which lists every platform package of rollup and
# esbuild. A registry mirror that lacks some of them makes npm ci refuse the lockfile; the
# fallback then installs the locked versions with --no-save, which leaves package-lock.json as
# committed (a plain npm install would rewrite it and dirty the clone).
$(WIDGET)/node_modules/.package-lock.json: $(WIDGET)/package-lock.json
	cd $(WIDGET) && (npm ci --no-audit --no-fund || npm install --no-save --no-audit --no-fund)

# The operator console (web/admin) into internal/webui/dist/admin; the build fails when its
# first load is over 150 KB gzipped (scripts/size-check.mjs).
admin: $(ADMIN)/node_modules/.package-lock.json
	cd $(ADMIN) && npm run build

$(ADMIN)/node_modules/.package-lock.json: $(ADMIN)/package-lock.json
	cd $(ADMIN) && (npm ci --no-audit --no-fund || npm install --no-save --no-audit --no-fund)

## api-types: the API's TypeScript types from docs/openapi.yaml (openapi-typescript, see
## web/apigen) into web/widget/src/api/schema.gen.ts and web/admin/src/api/schema.gen.ts
api-types: $(APIGEN)/node_modules/.package-lock.json
	cd $(APIGEN) && npm run generate

## api-types-check: fails when a generated file is not what docs/openapi.yaml gives (make test)
api-types-check: $(APIGEN)/node_modules/.package-lock.json
	cd $(APIGEN) && npm run check

$(APIGEN)/node_modules/.package-lock.json: $(APIGEN)/package-lock.json
	cd $(APIGEN) && (npm ci --no-audit --no-fund || npm install --no-save --no-audit --no-fund)

## run: build everything and start the demo (no configuration needed)
run: build
	./bin/chatproxy serve

## test: everything CI runs
test: tree-snapshot fmt-check tidy-check api-types-check vet build test-go test-widget test-e2e deploy-test tree-check

# tree-snapshot and tree-check bracket `make test`: building and testing must not change any
# file git tracks (or leave new untracked ones), so a fresh clone stays clean after the run.
TREE_BEFORE := bin/.tree-before
tree-snapshot:
	@mkdir -p bin && .ci/tree-state > $(TREE_BEFORE)

tree-check:
	@.ci/tree-state | diff -u $(TREE_BEFORE) - >/dev/null || { \
	  echo "building or testing changed the working tree:"; .ci/tree-state | diff $(TREE_BEFORE) - | grep '^>' ; exit 1; }

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# go.mod and go.sum must be what `go mod tidy` makes of them (direct dependencies not marked
# indirect, nothing missing or unused); deploy/ is a module of its own that requires this one, so a
# new dependency here can change its go.mod too.
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	@cd deploy && $(GO) mod tidy -diff || { echo "deploy/go.mod is not tidy: run go mod tidy in deploy/"; exit 1; }

vet:
	$(GO) vet ./...

test-go:
	$(GO) test -race -count=1 -timeout 15m ./...

test-widget: $(ADMIN)/node_modules/.package-lock.json
	cd $(WIDGET) && npm run typecheck && npm test
	cd $(ADMIN) && npm run typecheck && npm test

test-e2e: build
	cd $(WIDGET) && CHATPROXY_BIN=$(CURDIR)/bin/chatproxy npm run e2e
	cd $(ADMIN) && CHATPROXY_BIN=$(CURDIR)/bin/chatproxy npm run e2e

## deploy-test: the deploy/ module's tests: image (own dockerd; root), Compose, nginx, Helm,
## kustomize, Terraform, workflows, alerts. Tools: deploy/tools/install.sh and .ci/run.
deploy-test: build
	cd deploy && $(GO) vet ./... && $(GO) test -count=1 -timeout 20m ./...

## fuzz: run every fuzz target for FUZZTIME
# The targets are found in the code (`func FuzzX(f *testing.F)` in a _test.go file), as
# ./pkg:FuzzX, so a new one cannot be left out (internal/hygiene checks this list).
FUZZ_TARGETS = $(shell grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' cmd internal \
  | sed -E 's|^(.*)/[^/]*:func (Fuzz[A-Za-z0-9_]*).*|./\1:\2|' | sort -u)
fuzz:
	@set -e; for spec in $(FUZZ_TARGETS); do \
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
