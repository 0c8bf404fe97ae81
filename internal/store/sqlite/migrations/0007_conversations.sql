-- The console's conversation list: the country GeoIP gave at a session's start, the error
-- code an answer showed, and keyset indexes for newest-first lists per site and over all sites.
ALTER TABLE sessions ADD COLUMN country TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN error_code TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_site_created ON sessions (site_id, created_at DESC, id DESC);
CREATE INDEX sessions_created ON sessions (created_at DESC, id DESC);
