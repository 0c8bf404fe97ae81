// Package sqlite is the embedded storage engine: one SQLite file.
//
// The file is in WAL mode behind a single-connection writer pool and a pool of readers, using
// the pure-Go modernc.org/sqlite driver.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/migrate"
)

// busyTimeoutMS bounds how long a connection waits for another process's write lock. Inside
// this process writes never wait on it: they queue for the one writer connection.
const busyTimeoutMS = 10000

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is the SQLite engine. It is safe for concurrent use.
type Store struct {
	// write has exactly one connection: SQLite allows one writer at a time, and queueing
	// writers in database/sql avoids "database is locked" errors and lock-upgrade deadlocks.
	write  *sql.DB
	read   *sql.DB // many connections: WAL readers never block the writer or each other
	cipher store.Cipher
	steps  []migrate.Step
	stmts  sync.Map // query text + pool → *sql.Stmt, prepared on first use (tables may not exist at Open)
	closed atomic.Bool
	// siteWatch tells this process's WatchSites channels about site writes.
	siteWatch watchers
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path. It does not migrate: call Migrate.
func Open(ctx context.Context, path string, c store.Cipher) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: bad database path %q", path)
	}
	if c == nil {
		return nil, errors.New("sqlite: nil cipher")
	}
	steps, err := migrate.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	write, err := openPool(ctx, path, true)
	if err != nil {
		return nil, err
	}
	// The reader pool opens after the writer has switched the file to WAL.
	read, err := openPool(ctx, path, false)
	if err != nil {
		_ = write.Close()
		return nil, err
	}
	return &Store{write: write, read: read, cipher: c, steps: steps}, nil
}

func openPool(ctx context.Context, path string, writer bool) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path, writer))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if writer {
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
	} else {
		n := max(4, 2*runtime.GOMAXPROCS(0))
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
	}
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, wrapErr("open", err)
	}
	return db, nil
}

// dsn builds the connection string. The driver runs busy_timeout before the other pragmas, so
// switching to WAL never fails with SQLITE_BUSY while another process holds the file.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	if writer {
		// BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails half-way
		// when it tries to upgrade a read lock held against another process's writer.
		q.Set("_txlock", "immediate")
	} else {
		q.Set("_query_only", "1") // a write sent to the reader pool is a bug: fail loudly
	}
	return path + "?" + q.Encode()
}

// Ping checks that the database file can be read.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed("ping")
	}
	return wrapErr("ping", s.read.PingContext(ctx))
}

// Close closes both pools and every prepared statement.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.stmts.Range(func(_, v any) bool {
		_ = v.(*sql.Stmt).Close()
		return true
	})
	return errors.Join(s.read.Close(), s.write.Close())
}

type stmtKey struct {
	db    *sql.DB
	query string
}

// stmt returns query prepared on db, preparing it on first use. database/sql re-prepares it
// per connection as needed, so the hot path skips SQLite's parse and plan steps.
func (s *Store) stmt(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	if s.closed.Load() {
		return nil, store.ErrUnavailable
	}
	key := stmtKey{db, query}
	if st, ok := s.stmts.Load(key); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(key, st); loaded {
		_ = st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// exec runs a prepared write on the writer connection.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := s.stmt(ctx, s.write, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// queryRow runs a prepared read on the reader pool.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.stmt(ctx, s.read, query)
	if err != nil {
		// sql.Row cannot carry our error; a failing QueryRow on the pool reports it at Scan.
		return s.read.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// query runs a prepared read returning rows on the reader pool.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, s.read, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// inWriteTx runs fn in one transaction on the writer connection.
func (s *Store) inWriteTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.closed.Load() {
		return store.ErrUnavailable
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func errClosed(op string) error {
	return fmt.Errorf("sqlite: %s: %w: store closed", op, store.ErrUnavailable)
}

// wrapErr names the operation and maps driver errors to the store's sentinels.
func wrapErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("sqlite: %s: %w", op, err)
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrNotFound)
	case unavailable(err):
		return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// unavailable reports failures to reach the file at all. SQLITE_BUSY ("database is locked")
// is deliberately not one: it means contention, not an unreachable database.
func unavailable(err error) bool {
	if errors.Is(err, sql.ErrConnDone) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	msg := err.Error()
	if strings.Contains(msg, "sql: database is closed") || strings.Contains(msg, "sql: statement is closed") {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_FULL:
			return true
		}
	}
	return false
}

// Times are stored as unix microseconds: PostgreSQL's precision, so both engines return the
// same values.
func toDB(t time.Time) int64 { return t.UnixMicro() }

func fromDB(us int64) time.Time { return time.UnixMicro(us).UTC() }

// normalize returns t as it reads back from the database.
func normalize(t time.Time) time.Time { return fromDB(toDB(t)) }
