-- Sites managed at runtime. Every write of a row gives it a version above every version in the
-- table (the console's ETag; the hot reload's periodic check sums them), settings holds the
-- whole configuration without secrets, and secrets_enc a console site's signing keys, sealed
-- with the field keys by the application. Rows from the sites file stay managed_by 'file'.
ALTER TABLE sites ADD COLUMN managed_by TEXT NOT NULL DEFAULT 'file' CHECK (managed_by IN ('file', 'console'));
ALTER TABLE sites ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sites ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
ALTER TABLE sites ADD COLUMN settings TEXT CHECK (settings IS NULL OR json_valid(settings));
ALTER TABLE sites ADD COLUMN secrets_enc BLOB;
UPDATE sites SET version = rowid;
