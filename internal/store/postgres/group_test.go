package postgres

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
)

// gatedBatcher holds the first `hold` batches until release is closed, so a test can line up
// writes behind busy slots; it counts batches and the statements in them.
type gatedBatcher struct {
	db         batcher
	hold       int32
	release    chan struct{}
	batches    atomic.Int32
	statements atomic.Int32
}

func (g *gatedBatcher) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if n := g.batches.Add(1); n <= g.hold {
		<-g.release
	}
	g.statements.Add(int32(b.Len()))
	return g.db.SendBatch(ctx, b)
}

// groupFixture is a migrated store with one site, whose writes go through a gated batcher.
func groupFixture(t *testing.T) (*Store, *gatedBatcher) {
	t.Helper()
	s := open(t, storetest.NewPostgresURL(t), store.PlainCipher{})
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := s.UpsertSite(t.Context(), store.Site{ID: "shop", Name: "Shop", Config: []byte(`{}`), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	gate := &gatedBatcher{db: s.pool, hold: groupSlots, release: make(chan struct{})}
	s.writes.db = gate
	return s, gate
}

func newSession(t *testing.T, s *Store) store.Session {
	t.Helper()
	now := time.Now().UTC()
	v := store.Visitor{ID: newTestID(), SiteID: "shop", FirstSeen: now, LastSeen: now}
	if _, err := s.TouchVisitor(t.Context(), v); err != nil {
		t.Fatal(err)
	}
	sess := store.Session{ID: newTestID(), SiteID: "shop", VisitorID: v.ID, CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(t.Context(), sess); err != nil {
		t.Fatal(err)
	}
	return sess
}

var testIDs atomic.Int64

func newTestID() string {
	return fmt.Sprintf("0190a000-0000-7000-8000-%012d", testIDs.Add(1))
}

// waitPending waits until n writes queue behind the busy slots.
func waitPending(t *testing.T, g *writeGroup, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g.mu.Lock()
		got := len(g.pending)
		g.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writes pending, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

type addResult struct {
	stored  store.Message
	created bool
	history []store.Message
	err     error
}

// addConcurrently starts one AddUserMessage per message and returns their results once all end.
func addConcurrently(s *Store, msgs []store.Message) (wait func() []addResult) {
	results := make([]addResult, len(msgs))
	var wg sync.WaitGroup
	for i, m := range msgs {
		wg.Go(func() {
			r := &results[i]
			r.stored, r.created, r.history, r.err = s.AddUserMessage(context.Background(), m, store.MaxPageLimit)
		})
	}
	return func() []addResult { wg.Wait(); return results }
}

// TestWriteGroupSharesOneCommit lines up 40 writes behind the two busy slots: they must go out
// as one batch, each with its own outcome: its history, and for twins (same client message id)
// one stored row that both get back.
func TestWriteGroupSharesOneCommit(t *testing.T) {
	t.Parallel()
	s, gate := groupFixture(t)
	sessions := []store.Session{newSession(t, s), newSession(t, s)}
	earlier := store.Message{ID: newTestID(), SessionID: sessions[0].ID, SiteID: "shop", Role: store.RoleUser, Content: "earlier", Status: store.StatusComplete, CreatedAt: time.Now().UTC()}
	gate.hold = 0 // the setup write goes straight through
	if _, _, err := s.AddMessage(t.Context(), earlier); err != nil {
		t.Fatal(err)
	}
	gate.batches.Store(0)
	gate.hold = groupSlots

	const n = 42 // 2 leaders + 40 queued, 10 of them twins of another queued write
	msgs := make([]store.Message, n)
	for i := range msgs {
		msgs[i] = store.Message{
			ID: newTestID(), SessionID: sessions[i%2].ID, SiteID: "shop", Role: store.RoleUser,
			Content: fmt.Sprintf("text %d", i), Status: store.StatusComplete, CreatedAt: time.Now().UTC(),
			ClientMessageID: fmt.Sprintf("c-%d", i),
		}
		if i >= n-10 { // a twin: same session and client id as message i-10
			msgs[i].SessionID, msgs[i].ClientMessageID = msgs[i-10].SessionID, msgs[i-10].ClientMessageID
		}
	}
	wait := addConcurrently(s, msgs)
	waitPending(t, s.writes, n-groupSlots)
	close(gate.release)
	results := wait()

	if got := gate.batches.Load(); got != groupSlots+1 {
		t.Errorf("%d batches for %d writes, want %d (the queued ones together)", got, n, groupSlots+1)
	}
	byClient := map[string]string{}
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("write %d: %v", i, r.err)
		}
		key := msgs[i].SessionID + "/" + msgs[i].ClientMessageID
		if id, seen := byClient[key]; seen {
			if r.stored.ID != id {
				t.Errorf("twin %d got %s, want the stored %s", i, r.stored.ID, id)
			}
			continue
		}
		byClient[key] = r.stored.ID
	}
	created := 0
	for i, r := range results {
		if r.created {
			created++
			if msgs[i].SessionID == sessions[0].ID && (len(r.history) == 0 || r.history[0].ID != earlier.ID) {
				t.Errorf("write %d: history does not start with the earlier message: %v", i, r.history)
			}
		}
	}
	if created != n-10 {
		t.Errorf("%d created, want %d", created, n-10)
	}
	var rows int
	if err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM messages`).Scan(&rows); err != nil || rows != n-10+1 {
		t.Errorf("%d rows stored (%v), want %d", rows, err, n-10+1)
	}
}

// TestWriteGroupIsolatesAFailingWrite queues a write for a session that does not exist among
// good ones: the batch is rolled back, and each write is run again alone, so only that one fails.
func TestWriteGroupIsolatesAFailingWrite(t *testing.T) {
	t.Parallel()
	s, gate := groupFixture(t)
	sess := newSession(t, s)
	const n = 12
	msgs := make([]store.Message, n)
	for i := range msgs {
		msgs[i] = store.Message{ID: newTestID(), SessionID: sess.ID, SiteID: "shop", Role: store.RoleUser,
			Content: "hi", Status: store.StatusComplete, CreatedAt: time.Now().UTC()}
	}
	// The bad write is queued after the two leaders took their slots, so it is in the group.
	bad := store.Message{ID: newTestID(), SessionID: newTestID(), SiteID: "shop", Role: store.RoleUser,
		Content: "hi", Status: store.StatusComplete, CreatedAt: time.Now().UTC()} // no such session
	waitGood := addConcurrently(s, msgs)
	waitPending(t, s.writes, n-groupSlots)
	waitBad := addConcurrently(s, []store.Message{bad})
	waitPending(t, s.writes, n-groupSlots+1)
	close(gate.release)
	if r := waitBad()[0]; r.err == nil {
		t.Errorf("the write for a missing session succeeded")
	}
	for i, r := range waitGood() {
		if r.err != nil || !r.created {
			t.Errorf("write %d: created=%v err=%v", i, r.created, r.err)
		}
	}
	// 2 leaders alone, the failed group of 11, then its writes one by one.
	if got, want := gate.batches.Load(), int32(groupSlots+1+(n-groupSlots+1)); got != want {
		t.Errorf("%d batches, want %d", got, want)
	}
	var rows int
	if err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM messages`).Scan(&rows); err != nil || rows != n {
		t.Errorf("%d rows stored (%v), want %d", rows, err, n)
	}
}

// TestWriteGroupLeaderCancelFailsNoOne queues a write whose caller then gives up as the first
// of a group, so it leads the batch that carries the others: its cancellation must not fail
// them (the batch runs detached, bounded by groupTimeout).
func TestWriteGroupLeaderCancelFailsNoOne(t *testing.T) {
	t.Parallel()
	s, gate := groupFixture(t)
	sess := newSession(t, s)
	msg := func() store.Message {
		return store.Message{ID: newTestID(), SessionID: sess.ID, SiteID: "shop", Role: store.RoleUser,
			Content: "hi", Status: store.StatusComplete, CreatedAt: time.Now().UTC()}
	}
	waitLeaders := addConcurrently(s, []store.Message{msg(), msg()})
	for gate.batches.Load() < groupSlots { // both slots are taken and held
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, _, err := s.AddMessage(ctx, msg()); first <- err }()
	waitPending(t, s.writes, 1)
	waitOthers := addConcurrently(s, []store.Message{msg(), msg(), msg()})
	waitPending(t, s.writes, 4)
	cancel()
	close(gate.release)
	if err := <-first; err != nil {
		t.Errorf("the cancelled leader's own write: %v (it was promised to the batch)", err)
	}
	for i, r := range append(waitLeaders(), waitOthers()...) {
		if r.err != nil || !r.created {
			t.Errorf("write %d: created=%v err=%v", i, r.created, r.err)
		}
	}
	if got := gate.batches.Load(); got != groupSlots+1 {
		t.Errorf("%d batches, want %d", got, groupSlots+1)
	}
	var rows int
	if err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM messages`).Scan(&rows); err != nil || rows != 6 {
		t.Errorf("%d rows stored (%v), want 6", rows, err)
	}
}
