-- Sites managed at runtime. Every write of a row gives it a new version from the sequence
-- (the console's ETag; the hot reload's periodic check sums them), settings holds the whole
-- configuration without secrets, and secrets_enc a console site's signing keys, sealed with
-- the field keys by the application. Rows from the sites file stay managed_by 'file'.
CREATE SEQUENCE sites_version_seq;

ALTER TABLE sites
    ADD COLUMN managed_by  text NOT NULL DEFAULT 'file' CHECK (managed_by IN ('file', 'console')),
    ADD COLUMN version     bigint NOT NULL DEFAULT nextval('sites_version_seq'),
    ADD COLUMN disabled    boolean NOT NULL DEFAULT false,
    ADD COLUMN settings    json,
    ADD COLUMN secrets_enc bytea;
