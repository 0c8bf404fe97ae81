-- Refusals (rate limits, abuse rules) counted per site, reason and minute instead of one event
-- row each: a client being refused can no longer make the server write a row per request.
CREATE TABLE refusal_counts (
    site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    reason  TEXT NOT NULL,
    minute  INTEGER NOT NULL,
    count   INTEGER NOT NULL,
    PRIMARY KEY (site_id, minute, reason)
) STRICT;
