-- Operator console: accounts, console sessions, API tokens, first-run setup tokens and the
-- append-only audit log. Only hashes of cookies and tokens are stored; TOTP secrets are sealed.

CREATE TABLE accounts (
    id              text COLLATE "C" PRIMARY KEY,
    email           text NOT NULL UNIQUE,
    password_hash   text NOT NULL,
    role            text NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    sites           jsonb, -- NULL = all sites
    totp_secret_enc bytea,
    totp_enabled    boolean NOT NULL DEFAULT false,
    totp_last_step  bigint NOT NULL DEFAULT 0,
    disabled_at     timestamptz,
    token_version   integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE admin_sessions (
    id_hash       text COLLATE "C" PRIMARY KEY,
    account_id    text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_version integer NOT NULL,
    created_at    timestamptz NOT NULL,
    last_seen     timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    ip            text NOT NULL DEFAULT '',
    user_agent    text NOT NULL DEFAULT ''
);
CREATE INDEX admin_sessions_account ON admin_sessions (account_id);
CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);

CREATE TABLE api_tokens (
    id           text COLLATE "C" PRIMARY KEY,
    account_id   text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         text NOT NULL,
    token_hash   text COLLATE "C" NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_account ON api_tokens (account_id, created_at);

CREATE TABLE setup_tokens (
    token_hash text COLLATE "C" PRIMARY KEY,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

-- seq orders the hash chain (appends hold an advisory lock); id orders pages.
CREATE TABLE audit_log (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          text COLLATE "C" NOT NULL UNIQUE,
    at          timestamptz NOT NULL,
    actor_id    text COLLATE "C",
    actor_label text NOT NULL,
    actor_ip    text NOT NULL DEFAULT '',
    action      text NOT NULL,
    site_id     text COLLATE "C",
    target_type text NOT NULL DEFAULT '',
    target_id   text NOT NULL DEFAULT '',
    result      text NOT NULL CHECK (result IN ('ok', 'denied', 'error')),
    diff        json NOT NULL, -- json, not jsonb: the bytes the hash covers come back as written
    request_id  text NOT NULL DEFAULT '',
    prev_hash   text NOT NULL,
    hash        text NOT NULL
);
CREATE INDEX audit_log_site ON audit_log (site_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- Append-only: no UPDATE, DELETE or TRUNCATE, whoever asks (the application's role included).
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
