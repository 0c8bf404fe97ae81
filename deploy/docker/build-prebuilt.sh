#!/bin/sh
# Builds the chatproxy image from a static binary built on this host, without pulling any base
# image (FROM scratch): build-prebuilt.sh BINARY [TAG]. `make image` runs it with
# bin/chatproxy-static and chatproxy:dev. VERSION and REVISION (environment) become labels.
set -eu
BIN=${1:?usage: build-prebuilt.sh BINARY [TAG]}
TAG=${2:-chatproxy:dev}
HERE=$(cd "$(dirname "$0")" && pwd)

# A dynamically linked binary would not start in an image without a libc.
if grep -q 'ld-linux' "$BIN"; then
  echo "build-prebuilt: $BIN is dynamically linked; build it with CGO_ENABLED=0" >&2
  exit 1
fi

CTX=$(mktemp -d)
trap 'rm -rf "$CTX"' EXIT
"$HERE/make-rootfs.sh" "$CTX/rootfs"
cp "$BIN" "$CTX/chatproxy"
chmod 0755 "$CTX/chatproxy"
cp "$HERE/Dockerfile.prebuilt" "$CTX/Dockerfile"
docker build \
  --build-arg "VERSION=${VERSION:-dev}" \
  --build-arg "REVISION=${REVISION:-unknown}" \
  --build-arg "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  -t "$TAG" "$CTX"
