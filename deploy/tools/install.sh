#!/usr/bin/env bash
# Installs the Go-built tools the deployment tests need into $(go env GOPATH)/bin, once
# (a tool already there at the pinned version is kept): helm, actionlint, Docker Compose v2
# (as docker-compose-v2 and as the docker CLI plugin), and kustomize when kubectl is missing.
# Debian packages (docker.io, docker-compose, nginx) come from .ci/run. terraform cannot be
# built from the module proxy (its go.mod has replace directives): it must be on the machine.
set -euo pipefail
cd "$(dirname "$0")"
BIN="$(go env GOPATH)/bin"
mkdir -p "$BIN"
export GOFLAGS=-buildvcs=false

HELM_VERSION=v3.22.0
ACTIONLINT_VERSION=v1.7.12
KUSTOMIZE_VERSION=v5.8.3
COMPOSE_VERSION=$(awk '$1 == "github.com/docker/compose/v2" {print $2}' compose/go.mod)

# stamp NAME VERSION: true when BIN/NAME was installed by this script at VERSION.
stamp() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/.$1.version" 2>/dev/null)" = "$2" ]; }
mark() { echo "$2" > "$BIN/.$1.version"; echo "installed $1 $2"; }

if ! stamp helm "$HELM_VERSION"; then
  go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" && mark helm "$HELM_VERSION"
fi
if ! stamp actionlint "$ACTIONLINT_VERSION"; then
  go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" && mark actionlint "$ACTIONLINT_VERSION"
fi
# Compose v2 refuses `go install pkg@version` (its go.mod has exclude directives): it is built
# inside the small wrapper module compose/ (go get -tool), whose go.sum pins every dependency.
if ! stamp docker-compose-v2 "$COMPOSE_VERSION"; then
  (cd compose && go build -trimpath \
    -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" \
    -o "$BIN/docker-compose-v2" github.com/docker/compose/v2/cmd) && mark docker-compose-v2 "$COMPOSE_VERSION"
fi
mkdir -p "${HOME:-/root}/.docker/cli-plugins"
ln -sf "$BIN/docker-compose-v2" "${HOME:-/root}/.docker/cli-plugins/docker-compose"
if ! command -v kubectl >/dev/null 2>&1 && ! stamp kustomize "$KUSTOMIZE_VERSION"; then
  go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" && mark kustomize "$KUSTOMIZE_VERSION"
fi
