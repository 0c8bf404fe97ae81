-- Session ids of the official @n8n/chat widget bound to chatproxy sessions. id_hash is a keyed
-- hash of the widget's id (its only credential); origin is the first request's Origin.
CREATE TABLE n8n_bindings (
    id_hash    text COLLATE "C" PRIMARY KEY,
    site_id    text COLLATE "C" NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    session_id text COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    origin     text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX n8n_bindings_session ON n8n_bindings (session_id);
