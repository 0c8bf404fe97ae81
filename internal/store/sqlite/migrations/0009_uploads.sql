-- Files visitors uploaded: the object is in object storage, sealed with its own data key,
-- which is in sealed (with the file name), so deleting the row shreds the object.
CREATE TABLE uploads (
    id         TEXT PRIMARY KEY,
    site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    type       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    sealed     BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX uploads_session ON uploads (session_id);
