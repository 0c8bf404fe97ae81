-- Analytics: events carry the visitor and an optional idempotency key (a purchase's order id);
-- rollups per site and hour/day are updated in the same transaction as the events they count.
-- Rollups have no foreign key: they are kept when raw events are purged.
ALTER TABLE events ADD COLUMN visitor_id TEXT;
ALTER TABLE events ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX events_dedupe ON events (site_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX events_site_created ON events (site_id, created_at);

CREATE TABLE analytics_counts (
    site_id TEXT NOT NULL,
    grain   INTEGER NOT NULL,
    bucket  INTEGER NOT NULL,
    metric  TEXT NOT NULL,
    dim     TEXT NOT NULL,
    n       INTEGER NOT NULL,
    total   INTEGER NOT NULL,
    PRIMARY KEY (site_id, grain, metric, bucket, dim)
) STRICT, WITHOUT ROWID;

CREATE TABLE analytics_hist (
    site_id TEXT NOT NULL,
    grain   INTEGER NOT NULL,
    bucket  INTEGER NOT NULL,
    metric  TEXT NOT NULL,
    bin     INTEGER NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (site_id, grain, metric, bucket, bin)
) STRICT, WITHOUT ROWID;

CREATE TABLE analytics_sketches (
    site_id TEXT NOT NULL,
    grain   INTEGER NOT NULL,
    bucket  INTEGER NOT NULL,
    metric  TEXT NOT NULL,
    regs    BLOB NOT NULL,
    PRIMARY KEY (site_id, grain, metric, bucket)
) STRICT, WITHOUT ROWID;
