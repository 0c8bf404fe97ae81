#!/bin/sh
# Creates the secret files compose.yaml reads (once; existing files are kept):
#   ./init-secrets.sh            # into ./secrets (or $CHATPROXY_SECRETS_DIR)
# The encryption key comes from `chatproxy keys generate`: $CHATPROXY_BIN when set, else the
# image ($CHATPROXY_IMAGE, default chatproxy:dev) run without network.
set -eu
DIR=${CHATPROXY_SECRETS_DIR:-$(dirname "$0")/secrets}
mkdir -p "$DIR"
chmod 0700 "$DIR"

random() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
keygen() {
  if [ -n "${CHATPROXY_BIN:-}" ]; then "$CHATPROXY_BIN" keys generate | head -n1
  else docker run --rm --network none "${CHATPROXY_IMAGE:-chatproxy:dev}" keys generate | head -n1
  fi
}
put() { # name value: write once, readable by the containers' users (the directory stays 0700)
  [ -s "$DIR/$1" ] && return 0
  printf '%s\n' "$2" > "$DIR/$1"
  chmod 0444 "$DIR/$1"
  echo "created $DIR/$1"
}

put jwt_secret_key "$(random)"
put session_secret_key "$(random)"
put n8n_encryption_key "$(random)"
put encryption_keys "$(keygen)"
[ -s "$DIR/postgres_password" ] || put postgres_password "$(random)"
# pgx reads the password from this pgpass-format file (host:port:database:user:password).
put pgpass "postgres:5432:chatproxy:chatproxy:$(cat "$DIR/postgres_password")"
