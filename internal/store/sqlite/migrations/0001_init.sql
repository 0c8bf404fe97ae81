-- Initial schema. Times are INTEGER unix microseconds in UTC (the same precision PostgreSQL keeps).
-- Personal fields (*_enc) hold bytes sealed by the store's Cipher, bound to their row.

CREATE TABLE sites (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    config     TEXT NOT NULL CHECK (json_valid(config)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE visitors (
    id               TEXT PRIMARY KEY,
    site_id          TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    fingerprint_hash TEXT NOT NULL DEFAULT '',
    first_seen       INTEGER NOT NULL,
    last_seen        INTEGER NOT NULL
) STRICT;
CREATE INDEX visitors_fingerprint ON visitors (site_id, fingerprint_hash) WHERE fingerprint_hash <> '';
CREATE INDEX visitors_site_last_seen ON visitors (site_id, last_seen);

CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    site_id        TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    visitor_id     TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
    created_at     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    ip_hash        TEXT NOT NULL DEFAULT '',
    user_agent_enc BLOB NOT NULL,
    page_url_enc   BLOB NOT NULL,
    is_returning   INTEGER NOT NULL DEFAULT 0 CHECK (is_returning IN (0, 1))
) STRICT;
CREATE INDEX sessions_visitor ON sessions (visitor_id);
CREATE INDEX sessions_site_last_seen ON sessions (site_id, last_seen);

CREATE TABLE messages (
    id                TEXT PRIMARY KEY,
    session_id        TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    site_id           TEXT NOT NULL,
    role              TEXT NOT NULL,
    content_enc       BLOB NOT NULL,
    status            TEXT NOT NULL,
    client_message_id TEXT, -- NULL when the client gave none; NULLs never collide
    first_token_ms    INTEGER NOT NULL DEFAULT -1,
    total_ms          INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    UNIQUE (session_id, client_message_id)
) STRICT;
CREATE INDEX messages_session_id ON messages (session_id, id);

-- events.session_id has no foreign key: analytics may name a session that is gone or never
-- existed; retention deletes a session's events explicitly.
CREATE TABLE events (
    id         TEXT PRIMARY KEY,
    site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    session_id TEXT,
    type       TEXT NOT NULL,
    data       TEXT NOT NULL CHECK (json_valid(data)),
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX events_site_type ON events (site_id, type, created_at);
CREATE INDEX events_session ON events (session_id) WHERE session_id IS NOT NULL;

CREATE TABLE keyring (
    purpose      TEXT NOT NULL,
    kid          TEXT NOT NULL,
    material_enc BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    not_after    INTEGER, -- NULL = no end of use
    primary_key  INTEGER NOT NULL DEFAULT 0 CHECK (primary_key IN (0, 1)),
    PRIMARY KEY (purpose, kid)
) STRICT;
CREATE UNIQUE INDEX keyring_one_primary ON keyring (purpose) WHERE primary_key = 1;
