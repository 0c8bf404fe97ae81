// Package analytics records product events and answers the dashboard from rollups.
//
// Events from the server (sessions, messages, replies, refusals) and from the widget and shop
// page (POST /api/v1/events) go through a bounded queue to one background writer, and are
// dropped (and counted) rather than blocking when the queue is full. The writer stores them
// in batches; in the same transaction it adds each batch's delta (Derive) to per-site hourly
// and daily rollups: counters, mergeable latency histograms and distinct-visitor sketches.
// Dashboard queries (Query) read only rollups. Events never hold message text, IP addresses
// or secrets.
package analytics

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/metrics"
	"github.com/chatproxy/chatproxy/internal/store"
)

// Options configure a Recorder.
type Options struct {
	Store   store.Store
	Log     *slog.Logger
	Metrics *metrics.Metrics // nil: no Prometheus counters
	Queue   int              // events waiting for the writer; more are dropped
	// Batch is the most events written in one transaction; FlushEvery is how long the first
	// event of a batch waits for more.
	Batch      int
	FlushEvery time.Duration
}

// Recorder queues events for the store.
type Recorder struct {
	o       Options
	queue   chan item
	dropped atomic.Int64
	failed  atomic.Int64
	wg      sync.WaitGroup
	once    sync.Once
	closed  atomic.Bool
}

// item is a queued event, or (done != nil) a flush marker.
type item struct {
	ev   store.Event
	done chan struct{}
}

// New starts a recorder with a queue of size n and default batching.
func New(st store.Store, log *slog.Logger, n int) *Recorder {
	return NewRecorder(Options{Store: st, Log: log, Queue: n})
}

// NewRecorder starts a recorder.
func NewRecorder(o Options) *Recorder {
	if o.Queue <= 0 {
		o.Queue = 4096
	}
	if o.Batch <= 0 {
		// Large enough that one writer keeps up with thousands of events a second: a batch
		// costs a few round trips whatever its size.
		o.Batch = 2000
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 50 * time.Millisecond
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{o: o, queue: make(chan item, o.Queue)}
	r.wg.Add(1)
	go r.loop()
	return r
}

// Add queues one event without blocking; a nil Recorder records nothing.
func (r *Recorder) Add(e Event) {
	if r == nil || r.closed.Load() {
		return
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	data, _ := json.Marshal(e.Props)
	if e.Props == nil {
		data = []byte("{}")
	}
	ev := store.Event{
		ID: uuid.Must(uuid.NewV7()).String(), SiteID: e.SiteID, SessionID: e.SessionID, VisitorID: e.VisitorID,
		Type: e.Name, Data: data, DedupeKey: e.DedupeKey, CreatedAt: e.At.UTC(),
	}
	select {
	case r.queue <- item{ev: ev}:
		if r.o.Metrics != nil {
			r.o.Metrics.AnalyticsEvents.WithLabelValues(metricName(e.Name)).Inc()
		}
	default:
		r.dropped.Add(1)
	}
}

// Record queues one event of a session (the refusal path's form).
func (r *Recorder) Record(siteID, sessionID, typ string, data map[string]any) {
	r.Add(Event{SiteID: siteID, SessionID: sessionID, Name: typ, Props: data})
}

// metricName bounds the Prometheus label: custom names share one value.
func metricName(name string) string {
	if known[name] {
		return name
	}
	return "custom"
}

// Dropped reports how many events were dropped because the queue was full.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Failed reports how many events were lost because the store refused their batch.
func (r *Recorder) Failed() int64 { return r.failed.Load() }

// Flush waits until every event queued before it is written (or ctx ends).
func (r *Recorder) Flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case r.queue <- item{done: done}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Recorder) loop() {
	defer r.wg.Done()
	batch := make([]store.Event, 0, r.o.Batch)
	var timer <-chan time.Time
	flush := func() {
		if len(batch) > 0 {
			r.write(batch)
			batch = batch[:0]
		}
		timer = nil
	}
	for {
		select {
		case it, ok := <-r.queue:
			switch {
			case !ok:
				flush()
				return
			case it.done != nil:
				flush()
				close(it.done)
				continue
			}
			batch = append(batch, it.ev)
			if len(batch) >= r.o.Batch {
				flush()
			} else if timer == nil {
				timer = time.After(r.o.FlushEvery)
			}
		case <-timer:
			flush()
		}
	}
}

// write stores one batch with its rollup delta; on failure the batch is lost (and counted):
// analytics never holds up the chat.
func (r *Recorder) write(batch []store.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.o.Store.WriteEvents(ctx, batch, Derive); err != nil {
		r.failed.Add(int64(len(batch)))
		r.o.Log.Warn("analytics events not stored", "events", len(batch), "err", err)
	}
}

// Close writes what is queued and stops.
func (r *Recorder) Close() {
	r.once.Do(func() {
		r.closed.Store(true)
		close(r.queue)
	})
	r.wg.Wait()
}
