package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultPostgresURL is the server integration tests use unless CHATPROXY_TEST_POSTGRES_URL
// names another. It must be a URL (postgres://…) of a role allowed to create databases.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PostgresAdminURL returns CHATPROXY_TEST_POSTGRES_URL, or DefaultPostgresURL when unset.
func PostgresAdminURL() string {
	if u := os.Getenv("CHATPROXY_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// NewPostgresURL creates an empty database chatproxy_t_<random> on the test server and returns
// its URL; the database is dropped when tb ends. It fails the test (never skips) when the
// server cannot be reached.
func NewPostgresURL(tb testing.TB) string {
	tb.Helper()
	admin := PostgresAdminURL()
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("CHATPROXY_TEST_POSTGRES_URL must be a postgres:// URL")
	}
	var suffix [8]byte
	_, _ = rand.Read(suffix[:])
	name := "chatproxy_t_" + hex.EncodeToString(suffix[:])
	adminExec(tb, admin, "CREATE DATABASE "+name)
	tb.Cleanup(func() { adminExec(tb, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u.Path = "/" + name
	return u.String()
}

// adminExec runs one statement on the admin database.
func adminExec(tb testing.TB, admin, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("PostgreSQL is unreachable (set CHATPROXY_TEST_POSTGRES_URL): %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// NewSQLitePath returns the path of a database file (not yet created) in a directory removed
// when tb ends.
func NewSQLitePath(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "chatproxy.db")
}
