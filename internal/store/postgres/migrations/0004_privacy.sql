-- Privacy (docs/privacy.md): consent withdrawn per session, what each retention purge batch
-- removed (written in the batch's own transaction, so the record and the deletion happen
-- together or not at all), and leases that let one replica at a time run a job.
ALTER TABLE sessions ADD COLUMN no_analytics boolean NOT NULL DEFAULT false;

CREATE TABLE purge_log (
    id      bigserial PRIMARY KEY,
    site_id text COLLATE "C" NOT NULL,
    kind    text NOT NULL,
    removed bigint NOT NULL,
    cutoff  timestamptz NOT NULL,
    at      timestamptz NOT NULL
);
CREATE INDEX purge_log_site ON purge_log (site_id, kind);

CREATE TABLE leases (
    name   text PRIMARY KEY,
    holder text NOT NULL,
    until  timestamptz NOT NULL
);
