package retention

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/postgres"
	"github.com/chatproxy/chatproxy/internal/store/sqlite"
	"github.com/chatproxy/chatproxy/internal/store/storetest"

	_ "modernc.org/sqlite" // the raw counts' own connection
)

type engine struct {
	name   string
	newDSN func(testing.TB) string
	open   func(context.Context, string) (store.Store, error)
}

func engines() []engine {
	return []engine{
		{"sqlite", storetest.NewSQLitePath, func(ctx context.Context, dsn string) (store.Store, error) {
			return sqlite.Open(ctx, dsn, store.PlainCipher{})
		}},
		{"postgres", storetest.NewPostgresURL, func(ctx context.Context, dsn string) (store.Store, error) {
			return postgres.Open(ctx, dsn, store.PlainCipher{})
		}},
	}
}

func engineNamed(name string) engine {
	for _, e := range engines() {
		if e.name == name {
			return e
		}
	}
	panic("no engine " + name)
}

func openStore(t testing.TB, e engine, dsn string) store.Store {
	t.Helper()
	s, err := e.open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", e.name, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// testSites: shop keeps messages 30 days and events 7; held is on legal hold; forever keeps all.
func testSites() []config.Site {
	sites := []config.Site{
		{ID: "shop", Retention: config.Retention{Messages: 30, Events: 7}},
		{ID: "held", LegalHold: true},
		{ID: "forever", Retention: config.Retention{Messages: -1, Events: -1}},
	}
	for i := range sites {
		config.ApplySiteDefaults(&sites[i])
	}
	return sites
}

// seed writes, for every site, `old` sessions last seen 60 days ago with perSession messages
// and one event each, and one fresh session with a message and an event. It returns the
// number of shop's expired messages.
func seed(t testing.TB, s store.Store, old, perSession int) int {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	long := now.Add(-60 * 24 * time.Hour)
	for _, site := range testSites() {
		if err := s.UpsertSite(ctx, store.Site{ID: site.ID, Name: site.ID, Config: []byte(`{}`), CreatedAt: long, UpdatedAt: long}); err != nil {
			t.Fatal(err)
		}
		for i := range old + 1 {
			at := long
			if i == old {
				at = now
			}
			v := store.Visitor{ID: storetest.IDAt(at), SiteID: site.ID, FirstSeen: at, LastSeen: at}
			sess := store.Session{ID: storetest.IDAt(at), SiteID: site.ID, CreatedAt: at, LastSeen: at, ExpiresAt: at.Add(time.Hour)}
			if _, err := s.StartSession(ctx, v, sess); err != nil {
				t.Fatal(err)
			}
			n := perSession
			if i == old {
				n = 1
			}
			for j := range n {
				m := store.Message{ID: storetest.IDAt(at.Add(time.Duration(j) * time.Millisecond)), SessionID: sess.ID, SiteID: site.ID,
					Role: store.RoleUser, Content: "hello", Status: store.StatusComplete, FirstTokenMS: -1, CreatedAt: at.Add(time.Duration(j) * time.Millisecond)}
				if _, _, err := s.AddMessage(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.AddEvent(ctx, store.Event{ID: storetest.IDAt(at), SiteID: site.ID, SessionID: sess.ID, Type: "chat_opened", CreatedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return old * perSession
}

// count runs SELECT count(*) FROM table WHERE site_id = site on a connection of its own.
func count(t testing.TB, e engine, dsn, table, site string) int {
	t.Helper()
	var n int
	switch e.name {
	case "sqlite":
		db, err := sql.Open("sqlite", dsn+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = db.Close() }()
		err = db.QueryRow(`SELECT count(*) FROM `+table+` WHERE site_id = ?`, site).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
	default:
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close(context.Background()) }()
		if err := c.QueryRow(context.Background(), `SELECT count(*) FROM `+table+` WHERE site_id = $1`, site).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func TestPurgeRemovesWhatIsPastRetention(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			dsn := e.newDSN(t)
			s := openStore(t, e, dsn)
			expired := seed(t, s, 6, 5)
			reg := prometheus.NewRegistry()
			log := audit.New(s)
			p := New(Options{Store: s, Sites: testSites, Audit: log, Registry: reg, Holder: "a", Batch: 7, Pause: -1})
			report, err := p.RunOnce(t.Context())
			if err != nil {
				t.Fatalf("RunOnce: %v", err)
			}
			want := map[string]int{store.PurgeMessages: expired, store.PurgeSessions: 6, store.PurgeVisitors: 6, store.PurgeEvents: 6}
			for k, n := range want {
				if report["shop"][k] != n {
					t.Errorf("report[shop][%s] = %d, want %d (report %v)", k, report["shop"][k], n, report)
				}
			}
			if len(report) != 1 {
				t.Errorf("sites purged = %v, want only shop (held is on legal hold, forever keeps all)", report)
			}
			for table, want := range map[string]int{"messages": 1, "sessions": 1, "visitors": 1, "events": 1} {
				if n := count(t, e, dsn, table, "shop"); n != want {
					t.Errorf("shop %s left = %d, want %d (the fresh one)", table, n, want)
				}
			}
			for _, site := range []string{"held", "forever"} {
				if n := count(t, e, dsn, "messages", site); n != expired+1 {
					t.Errorf("%s messages = %d, want all %d kept", site, n, expired+1)
				}
			}
			if got := testutil.ToFloat64(p.purged.WithLabelValues(store.PurgeMessages)); int(got) != expired {
				t.Errorf("chatproxy_retention_purged_total{kind=messages} = %v, want %d", got, expired)
			}
			entries, err := log.List(t.Context(), store.AuditFilter{Action: audit.RetentionPurge.String(), Limit: 10})
			if err != nil || len(entries) != 1 || entries[0].SiteID != "shop" ||
				!strings.Contains(string(entries[0].Diff), fmt.Sprintf(`"messages":%d`, expired)) {
				t.Fatalf("audit entries = %+v, %v; want one for shop naming %d messages", entries, err, expired)
			}
			// A second run finds nothing and writes no entry.
			if report, err := p.RunOnce(t.Context()); err != nil || len(report) != 0 {
				t.Errorf("second run = %v, %v; want nothing", report, err)
			}
		})
	}
}

func TestOneReplicaPurgesAtATime(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			dsn := e.newDSN(t)
			s := openStore(t, e, dsn)
			if ok, err := s.AcquireLease(t.Context(), LeaseName, "other-replica", time.Minute); err != nil || !ok {
				t.Fatalf("lease: %v %v", ok, err)
			}
			p := New(Options{Store: s, Sites: testSites, Holder: "a"})
			if _, err := p.RunOnce(t.Context()); !errors.Is(err, ErrBusy) {
				t.Errorf("RunOnce while another replica holds the lease = %v, want ErrBusy", err)
			}
		})
	}
}

// TestPurgeKilledHalfWayResumes kills a child process that is purging (SIGKILL, between or
// inside batches), then purges again: every expired row is gone, nothing else is, and the
// purge log counts each removed row exactly once.
func TestPurgeKilledHalfWayResumes(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			dsn := e.newDSN(t)
			s := openStore(t, e, dsn)
			expired := seed(t, s, 40, 25) // 1,000 expired messages of shop
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "RETENTION_CHILD_ENGINE="+e.name, "RETENTION_CHILD_DSN="+dsn)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Kill it once it has removed some, but not all, of the messages.
			deadline := time.Now().Add(2 * time.Minute)
			sc := bufio.NewScanner(out)
			go func() {
				for sc.Scan() {
				}
			}()
			for {
				left := count(t, e, dsn, "messages", "shop")
				if left < expired-100 && left > 1 {
					break
				}
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					t.Fatalf("the child never got half way (messages left %d)", left)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			midway := count(t, e, dsn, "messages", "shop")
			if midway <= 1 {
				t.Fatalf("the child finished before it was killed (messages left %d)", midway)
			}
			logged, err := s.PurgeTotals(t.Context(), "shop")
			if err != nil {
				t.Fatal(err)
			}
			if int(logged[store.PurgeMessages]) != expired+1-midway {
				t.Fatalf("after the kill: log says %d messages removed, the table lost %d", logged[store.PurgeMessages], expired+1-midway)
			}
			// The killed child's lease (2 s) runs out; then a new purge finishes the job.
			p := New(Options{Store: s, Sites: testSites, Holder: "b", Batch: 50, Pause: -1})
			for {
				_, err = p.RunOnce(t.Context())
				if !errors.Is(err, ErrBusy) || time.Now().After(deadline) {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("resumed purge: %v", err)
			}
			if n := count(t, e, dsn, "messages", "shop"); n != 1 {
				t.Errorf("messages left = %d, want the fresh one", n)
			}
			logged, _ = s.PurgeTotals(t.Context(), "shop")
			if int(logged[store.PurgeMessages]) != expired || logged[store.PurgeSessions] != 40 || logged[store.PurgeVisitors] != 40 {
				t.Errorf("purge log = %v; want messages %d, sessions 40, visitors 40 (each row once)", logged, expired)
			}
			if n := count(t, e, dsn, "messages", "held"); n != expired+1 {
				t.Errorf("held messages = %d, want %d", n, expired+1)
			}
		})
	}
}

// TestMain runs the process TestPurgeKilledHalfWayResumes kills (a slow purge) when asked.
func TestMain(m *testing.M) {
	if name := os.Getenv("RETENTION_CHILD_ENGINE"); name != "" {
		os.Exit(purgeChild(name, os.Getenv("RETENTION_CHILD_DSN")))
	}
	os.Exit(m.Run())
}

func purgeChild(name, dsn string) int {
	ctx := context.Background()
	s, err := engineNamed(name).open(ctx, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = s.Close() }()
	p := New(Options{Store: s, Sites: testSites, Holder: "child", Batch: 10, Pause: 30 * time.Millisecond, LeaseTTL: 2 * time.Second})
	_, err = p.RunOnce(ctx)
	fmt.Println("child purge ended:", err)
	return 0
}
