-- Privacy (docs/privacy.md): consent withdrawn per session, what each retention purge batch
-- removed (written in the batch's own transaction, so the record and the deletion happen
-- together or not at all), and leases that let one process at a time run a job.
ALTER TABLE sessions ADD COLUMN no_analytics INTEGER NOT NULL DEFAULT 0 CHECK (no_analytics IN (0, 1));

CREATE TABLE purge_log (
    id      INTEGER PRIMARY KEY,
    site_id TEXT NOT NULL,
    kind    TEXT NOT NULL,
    removed INTEGER NOT NULL,
    cutoff  INTEGER NOT NULL,
    at      INTEGER NOT NULL
) STRICT;
CREATE INDEX purge_log_site ON purge_log (site_id, kind);

CREATE TABLE leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  INTEGER NOT NULL
) STRICT;
