-- Refusals (rate limits, abuse rules) counted per site, reason and minute instead of one event
-- row each: a client being refused can no longer make the server write a row per request.
CREATE TABLE refusal_counts (
    site_id text COLLATE "C" NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    reason  text COLLATE "C" NOT NULL,
    minute  timestamptz NOT NULL,
    count   bigint NOT NULL,
    PRIMARY KEY (site_id, minute, reason)
);
