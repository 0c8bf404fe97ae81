// Package postgres is the production storage engine, on PostgreSQL.
//
// It uses a pgx v5 connection pool, with statements prepared and cached per connection by pgx
// and one round trip per hot-path call.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"

	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/migrate"
)

// Pool defaults, used when the URL does not set them (pool_max_conns, connect_timeout,
// statement_timeout and so on in the URL win).
const (
	defaultConnectTimeout   = 5 * time.Second
	defaultStatementTimeout = "5s"
	// A transaction left open by a stuck caller must not hold locks for ever.
	defaultIdleInTxTimeout = "30s"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is the PostgreSQL engine. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	cipher store.Cipher
	steps  []migrate.Step
	writes *writeGroup // message inserts and session starts, group-committed
}

var _ store.Store = (*Store)(nil)

// Open creates the pool and checks that the database answers. It does not migrate: call Migrate.
func Open(ctx context.Context, url string, c store.Cipher) (*Store, error) {
	if c == nil {
		return nil, errors.New("postgres: nil cipher")
	}
	steps, err := migrate.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	cfg, err := poolConfig(url)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrapErr("open", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, wrapErr("open", err)
	}
	return &Store{pool: pool, cipher: c, steps: steps, writes: newWriteGroup(pool)}, nil
}

// poolConfig parses url and fills in the bounds the URL leaves out.
func poolConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgconn redacts the password in its parse errors.
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	if !strings.Contains(url, "pool_min_conns") {
		cfg.MinConns = 2
	}
	if !strings.Contains(url, "pool_max_conn_idle_time") {
		cfg.MaxConnIdleTime = 5 * time.Minute
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	params := cfg.ConnConfig.RuntimeParams
	setDefault(params, "statement_timeout", defaultStatementTimeout)
	setDefault(params, "idle_in_transaction_session_timeout", defaultIdleInTxTimeout)
	setDefault(params, "application_name", "chatproxy")
	return cfg, nil
}

func setDefault(params map[string]string, key, value string) {
	if _, ok := params[key]; !ok {
		params[key] = value
	}
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return wrapErr("ping", s.pool.Ping(ctx))
}

// Close closes the pool, waiting for connections in use to be released.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// wrapErr names the operation and maps driver errors to the store's sentinels.
func wrapErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("postgres: %s: %w", op, err)
	case isNoRows(err):
		return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
	case unavailable(err):
		return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// unavailable reports failures to reach or keep talking to the server: refused or dropped
// connections, a closed pool, timeouts (including statement_timeout) and server shutdown.
// A caller cancelling its own context is not one.
func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, puddle.ErrClosedPool) || errors.Is(err, context.DeadlineExceeded) ||
		pgconn.Timeout(err) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) {
		return true
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch code := pgErr.Code; {
		case strings.HasPrefix(code, "08"): // connection exception
			return true
		case code == "57P01", code == "57P02", code == "57P03": // admin/crash shutdown, cannot connect now
			return true
		case code == "53300": // too many connections
			return true
		case code == "57014": // query_canceled: statement_timeout fired
			return true
		}
	}
	return false
}

func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// utc returns a time read from timestamptz in UTC (pgx returns local time).
func utc(t time.Time) time.Time { return t.UTC() }

// normalize returns t as it reads back from a timestamptz column (microsecond precision).
func normalize(t time.Time) time.Time { return time.UnixMicro(t.UnixMicro()).UTC() }
