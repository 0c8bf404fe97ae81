package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/chatproxy/chatproxy/internal/store/migrate"
)

const createVersionTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at INTEGER NOT NULL
) STRICT`

const selectVersion = `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`

// Migrate applies pending migrations, each with its version row in one transaction. Every step
// starts with BEGIN IMMEDIATE, so processes sharing the file take turns, and each re-reads the
// version inside its transaction, so a step another process applied is never run twice.
func (s *Store) Migrate(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed("migrate")
	}
	if _, err := s.write.ExecContext(ctx, createVersionTable); err != nil {
		return wrapErr("migrate", err)
	}
	for {
		done, err := s.migrateStep(ctx)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep applies the next pending step; done reports that none was left.
func (s *Store) migrateStep(ctx context.Context) (done bool, err error) {
	err = s.inWriteTx(ctx, func(tx *sql.Tx) error {
		var applied int
		if err := tx.QueryRowContext(ctx, selectVersion).Scan(&applied); err != nil {
			return err
		}
		if err := migrate.CheckNotTooNew(applied, migrate.Latest(s.steps)); err != nil {
			return err
		}
		pending := migrate.Pending(s.steps, applied)
		if len(pending) == 0 {
			done = true
			return nil
		}
		step := pending[0]
		if _, err := tx.ExecContext(ctx, step.SQL); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			step.Version, toDB(time.Now()))
		return err
	})
	return done, wrapErr("migrate", err)
}

// SchemaVersion reports the applied version (0 on a database never migrated) and the latest
// this binary knows.
func (s *Store) SchemaVersion(ctx context.Context) (applied, latest int, err error) {
	if s.closed.Load() {
		return 0, 0, errClosed("schema version")
	}
	latest = migrate.Latest(s.steps)
	var tables int
	err = s.read.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables)
	if err != nil || tables == 0 {
		return 0, latest, wrapErr("schema version", err)
	}
	err = s.read.QueryRowContext(ctx, selectVersion).Scan(&applied)
	return applied, latest, wrapErr("schema version", err)
}
