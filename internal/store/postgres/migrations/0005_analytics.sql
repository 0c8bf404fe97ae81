-- Analytics: events carry the visitor and an optional idempotency key (a purchase's order id);
-- rollups per site and hour/day are updated in the same transaction as the events they count.
-- Rollups have no foreign key: they are kept when raw events are purged.
ALTER TABLE events
    ADD COLUMN visitor_id text COLLATE "C",
    ADD COLUMN dedupe_key text COLLATE "C";
CREATE UNIQUE INDEX events_dedupe ON events (site_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX events_site_created ON events (site_id, created_at);

CREATE TABLE analytics_counts (
    site_id text COLLATE "C" NOT NULL,
    grain   smallint NOT NULL,
    bucket  timestamptz NOT NULL,
    metric  text COLLATE "C" NOT NULL,
    dim     text COLLATE "C" NOT NULL,
    n       bigint NOT NULL,
    total   bigint NOT NULL,
    PRIMARY KEY (site_id, grain, metric, bucket, dim)
);

CREATE TABLE analytics_hist (
    site_id text COLLATE "C" NOT NULL,
    grain   smallint NOT NULL,
    bucket  timestamptz NOT NULL,
    metric  text COLLATE "C" NOT NULL,
    bin     integer NOT NULL,
    n       bigint NOT NULL,
    PRIMARY KEY (site_id, grain, metric, bucket, bin)
);

CREATE TABLE analytics_sketches (
    site_id text COLLATE "C" NOT NULL,
    grain   smallint NOT NULL,
    bucket  timestamptz NOT NULL,
    metric  text COLLATE "C" NOT NULL,
    regs    bytea NOT NULL,
    PRIMARY KEY (site_id, grain, metric, bucket)
);
