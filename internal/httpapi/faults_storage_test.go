package httpapi_test

// Storage faults (F9–F11): the test's own PostgreSQL database goes away or stalls.

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
)

// F9: with PostgreSQL down before a message is accepted, the visitor gets 503
// storage_unavailable with Retry-After and nothing reaches n8n (no unrecorded conversation).
func TestFaultDatabaseDownBeforeAccept(t *testing.T) {
	e := newEnv(t, "postgres")
	e.fake.SetScenario(n8ntest.ScenarioStream)
	s := e.newSession(nil)
	db := newDBFault(t, e)
	db.down()
	resp := e.do(request{method: "POST", path: "/api/v1/chat/message", origin: shopOrigin, token: s.Token, body: map[string]any{"message": "hello?"}})
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || errorCode(t, resp) != "storage_unavailable" {
		t.Fatalf("message with the database down: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	resp = e.do(request{method: "POST", path: "/api/v1/session/create", origin: shopOrigin, body: map[string]any{"site_id": "shop"}})
	if resp.StatusCode != 503 || errorCode(t, resp) != "storage_unavailable" {
		t.Fatalf("new session with the database down: %d", resp.StatusCode)
	}
	if e.fake.Count() != 0 {
		t.Fatalf("%d calls reached n8n while nothing could be stored", e.fake.Count())
	}
	db.up()
	res := e.sendUntilAccepted(s, map[string]any{"message": "hello again"})
	if res.text() != streamAnswer(5) || e.fake.Count() != 1 {
		t.Fatalf("after recovery: %q, upstream calls %d", res.text(), e.fake.Count())
	}
	if msgs := e.waitMessages(s.ID, 2); len(msgs) != 2 || msgs[0].Content != "hello again" {
		t.Fatalf("stored %d messages: the refused one must not be there", len(msgs))
	}
}

// F10: PostgreSQL goes down while n8n is answering: the visitor still gets the whole answer, and
// the outbox stores it exactly once when the database is back.
func TestFaultDatabaseDownDuringReply(t *testing.T) {
	e := newEnv(t, "postgres", withEnv("CHATPROXY_UPSTREAM_IDLE_TIMEOUT", "5s"))
	e.fake.SetScenario(n8ntest.ScenarioStream)
	e.fake.SetChunks(30)
	e.fake.SetChunkDelay(30 * time.Millisecond)
	s := e.newSession(nil)
	db := newDBFault(t, e)
	resp := e.do(request{method: "POST", path: "/api/v1/chat/message", origin: shopOrigin, token: s.Token, body: map[string]any{"message": "long answer"}})
	items := 0
	res, err := scanSSE(resp.Body, func(ev sseEvent) bool {
		if ev.Data["type"] == "item" {
			if items++; items == 3 {
				db.down() // the user message is stored; the answer is not yet
			}
		}
		return true
	})
	if err != nil || !res.done || res.text() != streamAnswer(30) || len(res.ofType("error")) != 0 || res.ofType("end")[0].Data["status"] != "complete" {
		t.Fatalf("visitor's answer with the database down: %q (%v)", res.text(), err)
	}
	if h := e.do(request{method: "GET", path: "/health"}); h.StatusCode != 503 {
		t.Fatalf("health while the database is down: %d", h.StatusCode)
	}
	replyID := res.ofType("begin")[0].Data["message_id"].(string)
	db.up()
	msgs := e.waitStored(s.ID, 2)
	if len(msgs) != 2 || msgs[0].Role != store.RoleUser || msgs[0].Content != "long answer" ||
		msgs[1].ID != replyID || msgs[1].Content != streamAnswer(30) || msgs[1].Status != store.StatusComplete {
		t.Fatalf("after the database is back: %d messages %+v", len(msgs), msgs)
	}
	time.Sleep(500 * time.Millisecond) // outbox retries must not add a second copy
	if n := len(e.messages(s.ID)); n != 2 || e.fake.Count() != 1 {
		t.Fatalf("%d messages, %d upstream calls: want 2 and 1", n, e.fake.Count())
	}
}

// F11: a lock held longer than statement_timeout makes new messages fail fast with 503 (nothing
// sent upstream) without exhausting the pool: other queries still run, and once the lock is
// released messages are accepted again.
func TestFaultDatabaseSlow(t *testing.T) {
	u, err := url.Parse(storetest.NewPostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("statement_timeout", "500ms")
	u.RawQuery = q.Encode()
	e := newEnv(t, "", withEnv("DATABASE_URL", u.String()))
	e.fake.SetScenario(n8ntest.ScenarioStream)
	const visitors = 16 // twice the pool size
	sessions := make([]session, visitors)
	for i := range sessions {
		sessions[i] = e.newSession(nil)
	}
	unlock := lockTable(t, u.String(), "messages")
	codes := make([]string, visitors)
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Go(func() { codes[i] = e.timedPost(shopOrigin, s, "while locked", 4*time.Second) })
	}
	wg.Wait()
	for i, c := range codes {
		if c != "503 storage_unavailable" {
			t.Fatalf("visitor %d during the lock: %s", i, c)
		}
	}
	if e.fake.Count() != 0 {
		t.Fatalf("%d messages reached n8n without being stored", e.fake.Count())
	}
	start := time.Now()
	if r := e.do(request{method: "GET", path: "/api/v1/session/validate", origin: shopOrigin, token: sessions[0].Token}); r.StatusCode != 200 || time.Since(start) > 3*time.Second {
		t.Fatalf("pool exhausted: validate took %v, status %d", time.Since(start), r.StatusCode)
	}
	unlock()
	for _, s := range sessions[:4] {
		if res := e.send(s, map[string]any{"message": "after the lock"}); res.text() != streamAnswer(5) {
			t.Fatalf("after the lock: %q", res.text())
		}
		if msgs := e.waitMessages(s.ID, 2); len(msgs) != 2 {
			t.Fatalf("stored %d messages, want 2", len(msgs))
		}
	}
}

// dbFault takes the test's own PostgreSQL database down and up again without touching others.
type dbFault struct {
	t    *testing.T
	name string
}

func newDBFault(t *testing.T, e *env) *dbFault {
	t.Helper()
	u, err := url.Parse(e.app.Config.DatabaseURL)
	name := strings.TrimPrefix(u.Path, "/")
	if err != nil || !strings.HasPrefix(name, "chatproxy_t_") {
		t.Fatalf("refusing to take down a database the test did not create: %q", name)
	}
	f := &dbFault{t: t, name: name}
	t.Cleanup(f.up)
	return f
}

// down refuses new connections and ends the existing ones, like a database server going away.
func (f *dbFault) down() {
	f.admin("ALTER DATABASE " + f.name + " WITH ALLOW_CONNECTIONS false")
	f.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + f.name + "' AND pid <> pg_backend_pid()")
}

func (f *dbFault) up() { f.admin("ALTER DATABASE " + f.name + " WITH ALLOW_CONNECTIONS true") }

func (f *dbFault) admin(sql string) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, storetest.PostgresAdminURL())
	if err != nil {
		f.t.Fatalf("admin connection: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

// lockTable holds an ACCESS EXCLUSIVE lock on table in another transaction until unlock.
func lockTable(t *testing.T, dbURL, table string) (unlock func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err == nil {
		_, err = tx.Exec(ctx, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE")
	}
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	unlock = func() { once.Do(func() { _ = tx.Rollback(ctx); _ = conn.Close(ctx) }) }
	t.Cleanup(unlock)
	return unlock
}

// sendUntilAccepted retries a message refused with 503, as the widget does after Retry-After
// (shortened here), for at most 5 s.
func (e *env) sendUntilAccepted(s session, body map[string]any) sseResult {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp := e.do(request{method: "POST", path: "/api/v1/chat/message", origin: shopOrigin, token: s.Token, body: body})
		if resp.StatusCode != 503 || time.Now().After(deadline) {
			return readSSE(e.t, resp)
		}
		e.t.Logf("retrying after %d %s", resp.StatusCode, bodyCode(resp))
		time.Sleep(200 * time.Millisecond)
	}
}

// waitStored polls the database until the session holds n messages, tolerating errors while
// the database comes back.
func (e *env) waitStored(sessionID string, n int) []store.Message {
	deadline := time.Now().Add(15 * time.Second)
	for {
		msgs, err := e.app.Store.ListMessages(context.Background(), sessionID, store.Page{Limit: 200})
		if (err == nil && len(msgs) >= n) || time.Now().After(deadline) {
			return msgs
		}
		time.Sleep(50 * time.Millisecond)
	}
}
