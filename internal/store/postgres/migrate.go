package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chatproxy/chatproxy/internal/store/migrate"
)

// migrationLockKey is the advisory lock every replica takes before migrating ("chatprxy").
const migrationLockKey int64 = 0x63686174_70727879

const createVersionTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)`

const selectVersion = `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`

// Migrate applies pending migrations, each with its version row in one transaction. Replicas
// starting together queue on a session advisory lock, so one migrates and the others find
// nothing left to do.
func (s *Store) Migrate(ctx context.Context) error {
	pooled, err := s.pool.Acquire(ctx)
	if err != nil {
		return wrapErr("migrate", err)
	}
	// The connection leaves the pool and is closed at the end: the advisory lock and the
	// lifted statement timeout die with it and can never leak into a pooled connection.
	conn := pooled.Hijack()
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	// Waiting for another replica's lock and building indexes may outlast statement_timeout.
	if _, err := conn.Exec(ctx, `SET statement_timeout = 0`); err != nil {
		return wrapErr("migrate", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
		return wrapErr("migrate: lock", err)
	}
	if _, err := conn.Exec(ctx, createVersionTable); err != nil {
		return wrapErr("migrate", err)
	}
	for {
		done, err := s.migrateStep(ctx, conn)
		if err != nil || done {
			return wrapErr("migrate", err)
		}
	}
}

// migrateStep applies the next pending step; done reports that none was left.
func (s *Store) migrateStep(ctx context.Context, conn *pgx.Conn) (done bool, err error) {
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var applied int
		if err := tx.QueryRow(ctx, selectVersion).Scan(&applied); err != nil {
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
		if _, err := tx.Exec(ctx, step.SQL); err != nil { // no arguments: simple protocol, many statements
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, step.Version)
		return err
	})
	return done, err
}

// SchemaVersion reports the applied version (0 on a database never migrated) and the latest
// this binary knows.
func (s *Store) SchemaVersion(ctx context.Context) (applied, latest int, err error) {
	latest = migrate.Latest(s.steps)
	err = s.pool.QueryRow(ctx, selectVersion).Scan(&applied)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table: never migrated
		return 0, latest, nil
	}
	return applied, latest, wrapErr("schema version", err)
}
