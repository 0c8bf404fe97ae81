-- Initial schema. Ids use the "C" collation: byte order, which is the time order of UUIDv7
-- strings whatever the database's locale, and cheaper to compare.
-- Personal fields (*_enc) hold bytes sealed by the store's Cipher, bound to their row.

CREATE TABLE sites (
    id         text COLLATE "C" PRIMARY KEY,
    name       text NOT NULL,
    config     json NOT NULL, -- json, not jsonb: the config's bytes come back as written
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE visitors (
    id               text COLLATE "C" PRIMARY KEY,
    site_id          text COLLATE "C" NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    fingerprint_hash text NOT NULL DEFAULT '',
    first_seen       timestamptz NOT NULL,
    last_seen        timestamptz NOT NULL
);
CREATE INDEX visitors_fingerprint ON visitors (site_id, fingerprint_hash) WHERE fingerprint_hash <> '';
CREATE INDEX visitors_site_last_seen ON visitors (site_id, last_seen);

CREATE TABLE sessions (
    id             text COLLATE "C" PRIMARY KEY,
    site_id        text COLLATE "C" NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    visitor_id     text COLLATE "C" NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL,
    last_seen      timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    ip_hash        text NOT NULL DEFAULT '',
    user_agent_enc bytea NOT NULL,
    page_url_enc   bytea NOT NULL,
    is_returning   boolean NOT NULL DEFAULT false
);
CREATE INDEX sessions_visitor ON sessions (visitor_id);
CREATE INDEX sessions_site_last_seen ON sessions (site_id, last_seen);

CREATE TABLE messages (
    id                text COLLATE "C" PRIMARY KEY,
    session_id        text COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    site_id           text COLLATE "C" NOT NULL,
    role              text NOT NULL,
    content_enc       bytea NOT NULL,
    status            text NOT NULL,
    client_message_id text, -- NULL when the client gave none; NULLs never collide
    first_token_ms    bigint NOT NULL DEFAULT -1,
    total_ms          bigint NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL,
    UNIQUE (session_id, client_message_id)
);
CREATE INDEX messages_session_id ON messages (session_id, id);

-- events.session_id has no foreign key: analytics may name a session that is gone or never
-- existed; retention deletes a session's events explicitly.
CREATE TABLE events (
    id         text COLLATE "C" PRIMARY KEY,
    site_id    text COLLATE "C" NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    session_id text COLLATE "C",
    type       text NOT NULL,
    data       jsonb NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX events_site_type ON events (site_id, type, created_at);
CREATE INDEX events_session ON events (session_id) WHERE session_id IS NOT NULL;

CREATE TABLE keyring (
    purpose      text NOT NULL,
    kid          text NOT NULL,
    material_enc bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    not_after    timestamptz, -- NULL = no end of use
    primary_key  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (purpose, kid)
);
CREATE UNIQUE INDEX keyring_one_primary ON keyring (purpose) WHERE primary_key;
