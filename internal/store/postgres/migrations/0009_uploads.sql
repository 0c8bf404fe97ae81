-- Files visitors uploaded: the object is in object storage, sealed with its own data key,
-- which is in sealed (with the file name), so deleting the row shreds the object.
CREATE TABLE uploads (
    id         text COLLATE "C" PRIMARY KEY,
    site_id    text COLLATE "C" NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    session_id text COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    type       text NOT NULL,
    size       bigint NOT NULL,
    sealed     bytea NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX uploads_session ON uploads (session_id);
