// Package analytics records product events without slowing requests.
//
// Events (sessions, refusals, replies) are append-only. They go through a bounded queue to a
// background writer, and are dropped (and counted) rather than blocking when the queue is full.
// Events never hold message text.
package analytics

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/store"
)

// Recorder queues events for the store.
type Recorder struct {
	st      store.Store
	log     *slog.Logger
	queue   chan store.Event
	dropped atomic.Int64
	wg      sync.WaitGroup
	once    sync.Once
}

// New starts a recorder with a queue of size n.
func New(st store.Store, log *slog.Logger, n int) *Recorder {
	r := &Recorder{st: st, log: log, queue: make(chan store.Event, n)}
	r.wg.Add(1)
	go r.loop()
	return r
}

// Record queues one event; data is marshalled to JSON.
func (r *Recorder) Record(siteID, sessionID, typ string, data map[string]any) {
	b, _ := json.Marshal(data)
	e := store.Event{ID: uuid.Must(uuid.NewV7()).String(), SiteID: siteID, SessionID: sessionID, Type: typ, Data: b, CreatedAt: time.Now().UTC()}
	select {
	case r.queue <- e:
	default:
		r.dropped.Add(1)
	}
}

// Dropped reports how many events were dropped because the queue was full.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

func (r *Recorder) loop() {
	defer r.wg.Done()
	for e := range r.queue {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := r.st.AddEvent(ctx, e); err != nil {
			r.log.Warn("analytics event not stored", "type", e.Type, "err", err)
		}
		cancel()
	}
}

// Close writes what is queued and stops.
func (r *Recorder) Close() {
	r.once.Do(func() { close(r.queue) })
	r.wg.Wait()
}
