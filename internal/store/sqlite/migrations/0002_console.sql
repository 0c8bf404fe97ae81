-- Operator console: accounts, console sessions, API tokens, first-run setup tokens and the
-- append-only audit log. Only hashes of cookies and tokens are stored; TOTP secrets are sealed.

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    sites           TEXT CHECK (sites IS NULL OR json_valid(sites)), -- NULL = all sites
    totp_secret_enc BLOB,
    totp_enabled    INTEGER NOT NULL DEFAULT 0 CHECK (totp_enabled IN (0, 1)),
    totp_last_step  INTEGER NOT NULL DEFAULT 0,
    disabled_at     INTEGER,
    token_version   INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE admin_sessions (
    id_hash       TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_version INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    ip            TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX admin_sessions_account ON admin_sessions (account_id);
CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX api_tokens_account ON api_tokens (account_id, created_at);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;

-- seq orders the hash chain (appends are serialized by the single writer); id orders pages.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    at          INTEGER NOT NULL,
    actor_id    TEXT,
    actor_label TEXT NOT NULL,
    actor_ip    TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    site_id     TEXT,
    target_type TEXT NOT NULL DEFAULT '',
    target_id   TEXT NOT NULL DEFAULT '',
    result      TEXT NOT NULL CHECK (result IN ('ok', 'denied', 'error')),
    diff        TEXT NOT NULL CHECK (json_valid(diff)),
    request_id  TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_site ON audit_log (site_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
