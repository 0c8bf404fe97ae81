package postgres

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
)

func open(t *testing.T, url string, c store.Cipher) *Store {
	t.Helper()
	s, err := Open(t.Context(), url, c)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, c store.Cipher) store.Store {
		return open(t, storetest.NewPostgresURL(t), c)
	})
}

// TestMigrateConcurrently starts three replicas on one fresh database at once: the advisory
// lock must let exactly one of them build the schema while the others wait and find it done.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	url := storetest.NewPostgresURL(t)
	stores := []*Store{open(t, url, store.PlainCipher{}), open(t, url, store.PlainCipher{}), open(t, url, store.PlainCipher{})}
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}
	applied, latest, err := stores[0].SchemaVersion(t.Context())
	if err != nil || applied != latest {
		t.Errorf("SchemaVersion = %d, %d, %v; want equal", applied, latest, err)
	}
	var rows int
	if err := stores[1].pool.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&rows); err != nil || rows != latest {
		t.Errorf("schema_migrations has %d rows, %v; want %d (each step applied once)", rows, err, latest)
	}
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	_, err := Open(t.Context(), "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", store.PlainCipher{})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open on a closed port: err = %v, want ErrUnavailable", err)
	}
}

// TestStatementTimeoutIsUnavailable checks that a query stopped by statement_timeout (set from
// the URL here) is reported as ErrUnavailable, like any other timeout.
func TestStatementTimeoutIsUnavailable(t *testing.T) {
	t.Parallel()
	url := storetest.NewPostgresURL(t) + "&statement_timeout=50"
	s := open(t, url, store.PlainCipher{})
	_, err := s.pool.Exec(t.Context(), `SELECT pg_sleep(2)`)
	if err = wrapErr("sleep", err); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("query past statement_timeout: err = %v, want ErrUnavailable", err)
	}
}

func TestPoolConfig(t *testing.T) {
	cfg, err := poolConfig("postgres://u@db.example:5432/app?sslmode=disable")
	if err != nil {
		t.Fatalf("poolConfig: %v", err)
	}
	params := cfg.ConnConfig.RuntimeParams
	if params["statement_timeout"] != "5s" || params["application_name"] != "chatproxy" || params["idle_in_transaction_session_timeout"] == "" {
		t.Errorf("runtime params = %v; want the defaults", params)
	}
	if cfg.ConnConfig.ConnectTimeout != 5*time.Second || cfg.MaxConns < 8 || cfg.MinConns != 2 {
		t.Errorf("connect timeout %v, max conns %d, min conns %d; want 5s, >=8, 2", cfg.ConnConfig.ConnectTimeout, cfg.MaxConns, cfg.MinConns)
	}
	cfg, err = poolConfig("postgres://u@db.example/app?statement_timeout=1s&pool_max_conns=3&connect_timeout=9")
	if err != nil {
		t.Fatalf("poolConfig: %v", err)
	}
	if cfg.ConnConfig.RuntimeParams["statement_timeout"] != "1s" || cfg.MaxConns != 3 || cfg.ConnConfig.ConnectTimeout != 9*time.Second {
		t.Errorf("URL settings were overridden: %v, max conns %d, connect timeout %v",
			cfg.ConnConfig.RuntimeParams, cfg.MaxConns, cfg.ConnConfig.ConnectTimeout)
	}
	if _, err := poolConfig("postgres://u:s3cret@db.example:notaport/app"); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("bad URL: err = %v; want an error that hides the password", err)
	}
}

// TestSessionStartPlan guards the session start against plans that read every session or
// visitor of the site: with a few thousand sessions and no planner statistics (autovacuum off,
// as on the CI machine), the generic plan of the statement must use only the visitor and
// fingerprint indexes. Such a plan made the 300 exchanges/s soak fall behind after 30 s.
func TestSessionStartPlan(t *testing.T) {
	t.Parallel()
	s := open(t, storetest.NewPostgresURL(t), store.PlainCipher{})
	ctx, now := t.Context(), time.Now()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertSite(ctx, store.Site{ID: "shop", Name: "Shop", Config: []byte(`{}`), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ALTER TABLE visitors SET (autovacuum_enabled = off);
		ALTER TABLE sessions SET (autovacuum_enabled = off);
		INSERT INTO visitors (id, site_id, fingerprint_hash, first_seen, last_seen)
			SELECT 'v' || i, 'shop', CASE WHEN i % 2 = 0 THEN 'fp' || i ELSE '' END, now(), now() FROM generate_series(1, 5000) i;
		INSERT INTO sessions (id, site_id, visitor_id, created_at, last_seen, expires_at, user_agent_enc, page_url_enc)
			SELECT 's' || i, 'shop', 'v' || i, now(), now(), now(), '', '' FROM generate_series(1, 5000) i`); err != nil {
		t.Fatal(err)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = force_generic_plan`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `PREPARE start_plan AS `+startSession); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, `EXPLAIN (ANALYZE, COSTS OFF) EXECUTE start_plan('v-new', 'shop', 'fp2', now(), now(),
		's-new', now(), now(), now(), '', '\x'::bytea, '\x'::bytea, 'DE')`)
	if err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"sessions_site_last_seen", "visitors_site_last_seen", "Seq Scan"} {
		if strings.Contains(plan.String(), bad) {
			t.Errorf("the session start plan uses %s:\n%s", bad, plan.String())
		}
	}
	if !strings.Contains(plan.String(), "visitors_fingerprint") {
		t.Errorf("the fingerprint match does not use visitors_fingerprint:\n%s", plan.String())
	}
}

// TestAuditLogRefusesTruncate: TRUNCATE skips row triggers, so the audit log has its own.
func TestAuditLogRefusesTruncate(t *testing.T) {
	t.Parallel()
	s := open(t, storetest.NewPostgresURL(t), store.PlainCipher{})
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.ExecForTest(t.Context(), `TRUNCATE audit_log`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("TRUNCATE audit_log: %v, want refused as append-only", err)
	}
}

// TestWatchSitesReconnects: the LISTEN connection is killed by the server; WatchSites
// connects again (signalling once, as changes may have been missed) and keeps delivering.
func TestWatchSitesReconnects(t *testing.T) {
	t.Parallel()
	s := open(t, storetest.NewPostgresURL(t), store.PlainCipher{})
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	ch := s.WatchSites(t.Context())
	wait := func(what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no signal", what)
		}
	}
	wait("first LISTEN")
	var killed int
	if err := s.pool.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d LISTEN connections, %v; want 1", killed, err)
	}
	wait("reconnection")
	now := time.Now()
	if _, err := s.CreateSiteRecord(t.Context(), store.SiteRecord{ID: "after", Name: "after", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	wait("a write after the reconnection")
}
