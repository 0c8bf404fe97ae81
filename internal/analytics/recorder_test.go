package analytics_test

import (
	"context"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/store"
)

// stalledStore is a real store whose event writes wait until released: a database that has
// stopped answering.
type stalledStore struct {
	store.Store
	release chan struct{}
}

func (s stalledStore) WriteEvents(ctx context.Context, evs []store.Event, d func([]store.Event) store.RollupDelta) (int, error) {
	<-s.release
	return s.Store.WriteEvents(ctx, evs, d)
}

// TestRecorderNeverBlocks: with the database stalled, recording 10,000 events returns at once,
// the queue's overflow is dropped and counted, and what was queued is stored once the database
// answers again.
func TestRecorderNeverBlocks(t *testing.T) {
	for name, st := range engines(t) {
		t.Run(name, func(t *testing.T) {
			stalled := stalledStore{Store: st, release: make(chan struct{})}
			r := analytics.NewRecorder(analytics.Options{Store: stalled, Queue: 100, Batch: 10, FlushEvery: time.Millisecond})
			start := time.Now()
			for range 10000 {
				r.Add(analytics.Event{SiteID: "shop", Name: "widget_loaded"})
			}
			if d := time.Since(start); d > 15*time.Second { // generous: -race on a loaded host; a blocking Add would never return
				t.Fatalf("recording took %s with the database stalled", d)
			}
			if r.Dropped() < 10000-100-10 {
				t.Fatalf("dropped %d, want nearly all of 10000 beyond the queue of 100", r.Dropped())
			}
			close(stalled.release)
			r.Close()
			n, err := st.CountEvents(context.Background(), "shop", "widget_loaded")
			if err != nil || int64(n)+r.Dropped() != 10000 {
				t.Fatalf("stored %d + dropped %d != 10000 (%v)", n, r.Dropped(), err)
			}
		})
	}
}
