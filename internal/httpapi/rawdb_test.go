package httpapi_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	_ "modernc.org/sqlite" // raw reads below the Store API
)

// rawExec runs one statement on a connection of its own to the env's database; for a query
// it scans one integer into n.
func rawExec(t *testing.T, e *env, query string, n *int, args ...any) {
	t.Helper()
	c := e.app.Config
	if c.DatabaseURL == "" {
		db, err := sql.Open("sqlite", c.SQLitePath()+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = db.Close() }()
		if n != nil {
			err = db.QueryRow(query, args...).Scan(n)
		} else {
			_, err = db.Exec(query, args...)
		}
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	conn, err := pgx.Connect(context.Background(), c.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if n != nil {
		err = conn.QueryRow(context.Background(), query, args...).Scan(n)
	} else {
		_, err = conn.Exec(context.Background(), query, args...)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// countRows counts a table's rows of a site.
func countRows(t *testing.T, e *env, table, site string) int {
	t.Helper()
	var n int
	q := `SELECT count(*) FROM ` + table + ` WHERE site_id = $1`
	if e.app.Config.DatabaseURL == "" {
		q = `SELECT count(*) FROM ` + table + ` WHERE site_id = ?`
	}
	rawExec(t, e, q, &n, site)
	return n
}

// ageSession moves a session's creation back by d (PostgreSQL).
func ageSession(t *testing.T, e *env, id string, d time.Duration) {
	t.Helper()
	rawExec(t, e, `UPDATE sessions SET created_at = created_at - $2 * interval '1 second' WHERE id = $1`, nil, id, int(d.Seconds()))
}
