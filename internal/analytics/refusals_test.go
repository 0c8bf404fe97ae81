package analytics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/metrics"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/sqlite"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), storetest.NewSQLitePath(t), store.PlainCipher{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if err := st.UpsertSite(t.Context(), store.Site{ID: id, Name: id, Config: []byte(`{}`), CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func sum(t *testing.T, st store.Store, site string) (total int64, rows int) {
	t.Helper()
	counts, err := st.RefusalCounts(context.Background(), site, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range counts {
		total += c.Count
	}
	return total, len(counts)
}

// TestRefusalsAreCountersFlushedInBatches: many refusals become one counter per site, reason
// and minute, added up across flushes.
func TestRefusalsAreCountersFlushedInBatches(t *testing.T) {
	st := openStore(t)
	r := analytics.NewRefusals(st, quiet, time.Hour, 100) // flushed by hand
	defer r.Close()
	for range 1000 {
		r.Refused("a", "session")
	}
	r.Refused("a", "ip")
	r.Refused("b", "session")
	if err := r.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		r.Refused("a", "session")
	}
	r.Close() // writes what is left
	if total, rows := sum(t, st, "a"); total != 1011 || rows > 4 {
		t.Fatalf("site a: %d refusals in %d rows, want 1011 in at most 4 (2 reasons, 2 minutes)", total, rows)
	}
	if total, _ := sum(t, st, "b"); total != 1 {
		t.Fatalf("site b: %d refusals", total)
	}
	// The dashboard reads refusals from the rollups the counters add to, with their reasons.
	q := &analytics.Query{Store: st}
	from, to := time.Now().Add(-2*time.Hour), time.Now().Add(2*time.Hour)
	s, err := q.Summary(t.Context(), "a", from, to)
	if err != nil || s.Refused != 1011 {
		t.Fatalf("dashboard summary: refused %d, %v; want 1011", s.Refused, err)
	}
	rows, err := q.Breakdown(t.Context(), "a", "refusal_reason", from, to, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range rows {
		got[r.Key] = r.Count
	}
	if got["session"] != 1010 || got["ip"] != 1 {
		t.Fatalf("refusal_reason breakdown %+v", rows)
	}
}

// TestRefusalsBoundedAndKeptOnFailure: past the bound new counters are dropped and counted, and
// a failed flush keeps the counts for the next one.
func TestRefusalsBoundedAndKeptOnFailure(t *testing.T) {
	st := openStore(t)
	failing := &failStore{Store: st, fail: true}
	r := analytics.NewRefusals(failing, quiet, time.Hour, 2)
	defer r.Close()
	r.Refused("a", "session")
	r.Refused("a", "ip")
	r.Refused("a", "blocklist") // a third counter: over the bound
	r.Refused("a", "session")   // an existing counter still counts
	if r.Dropped() != 1 {
		t.Fatalf("dropped %d, want 1", r.Dropped())
	}
	if err := r.Flush(t.Context()); err == nil {
		t.Fatal("flush to a failing store succeeded")
	}
	failing.fail = false
	if err := r.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if total, rows := sum(t, st, "a"); total != 3 || rows != 2 {
		t.Fatalf("after the retry: %d refusals in %d rows, want 3 in 2", total, rows)
	}
}

type failStore struct {
	store.Store
	fail bool
}

func (f *failStore) AddRefusals(ctx context.Context, c []store.RefusalCount, d store.RollupDelta) error {
	if f.fail {
		return errors.New("database down")
	}
	return f.Store.AddRefusals(ctx, c, d)
}

// TestDroppedEventsMetric: events the recorder drops (queue full) show in
// chatproxy_analytics_dropped_total.
func TestDroppedEventsMetric(t *testing.T) {
	st := openStore(t)
	blocked := &blockingStore{Store: st, release: make(chan struct{})}
	rec := analytics.New(blocked, quiet, 2)
	m := metrics.New()
	m.AnalyticsDropped(rec.Dropped)
	for range 10 {
		rec.Record("a", "", "chat_opened", nil)
	}
	// The writer holds one event and the queue two: at least 7 were dropped.
	got := droppedMetric(t, m)
	close(blocked.release)
	rec.Close()
	if got < 7 || int64(got) != rec.Dropped() {
		t.Fatalf("dropped metric %v, recorder says %d (want at least 7)", got, rec.Dropped())
	}
}

func droppedMetric(t *testing.T, m *metrics.Metrics) float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "chatproxy_analytics_dropped_total" && f.GetType().String() == "COUNTER" {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("chatproxy_analytics_dropped_total is not exposed as a counter")
	return 0
}

type blockingStore struct {
	store.Store
	release chan struct{}
}

func (b *blockingStore) AddEvent(ctx context.Context, e store.Event) error {
	<-b.release
	return b.Store.AddEvent(ctx, e)
}
