package analytics

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// Refusals counts refused requests per site, reason and minute in memory and adds the counts to
// the store in one batch per flush. A client being refused thousands of times a second then
// makes the server write at most one counter per site, reason and minute, not a row per refusal.
// The counters waiting at once are bounded too (sites and reasons are few, but a long database
// outage must not grow memory): past the bound new counters are dropped and counted.
type Refusals struct {
	st      store.Store
	log     *slog.Logger
	max     int
	mu      sync.Mutex
	counts  map[refusalKey]int64
	dropped atomic.Int64
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

type refusalKey struct {
	site, reason string
	minute       int64 // Unix minute
}

// NewRefusals starts a counter that flushes every flushEvery and holds at most max counters.
func NewRefusals(st store.Store, log *slog.Logger, flushEvery time.Duration, max int) *Refusals {
	r := &Refusals{st: st, log: log, max: max, counts: make(map[refusalKey]int64),
		stop: make(chan struct{}), done: make(chan struct{})}
	go r.loop(flushEvery)
	return r
}

// refusalRollups is what counts add to the dashboard's rollups: the same cells a "refused"
// event adds (its name under MetricEvents, its reason under MetricReason), n at a time.
func refusalRollups(counts []store.RefusalCount) store.RollupDelta {
	d := deriver{counts: map[countKey][2]int64{}, hist: map[histKey]int64{}, sketches: map[sketchKey][]byte{}}
	for _, c := range counts {
		site := store.Event{SiteID: c.SiteID}
		for _, g := range []int{store.GrainHour, store.GrainDay} {
			b := Bucket(c.Minute, g)
			d.count(site, g, b, MetricEvents, Refused, c.Count, 0)
			d.count(site, g, b, MetricReason, c.Reason, c.Count, 0)
		}
	}
	return d.delta()
}

// Refused counts one refusal of site for reason, now.
func (r *Refusals) Refused(siteID, reason string) {
	k := refusalKey{site: siteID, reason: reason, minute: time.Now().Unix() / 60}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addLocked(k, 1)
}

// addLocked adds n to k's counter unless a new counter would pass the bound.
func (r *Refusals) addLocked(k refusalKey, n int64) {
	if _, ok := r.counts[k]; !ok && len(r.counts) >= r.max {
		r.dropped.Add(n)
		return
	}
	r.counts[k] += n
}

// Dropped reports how many refusals were not counted because too many counters waited.
func (r *Refusals) Dropped() int64 { return r.dropped.Load() }

// Flush adds the waiting counts to the store in one batch. On failure they are kept for the
// next flush (within the bound).
func (r *Refusals) Flush(ctx context.Context) error {
	r.mu.Lock()
	pending := r.counts
	r.counts = make(map[refusalKey]int64, len(pending))
	r.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	batch := make([]store.RefusalCount, 0, len(pending))
	for k, n := range pending {
		batch = append(batch, store.RefusalCount{SiteID: k.site, Reason: k.reason, Minute: time.Unix(k.minute*60, 0).UTC(), Count: n})
	}
	slices.SortFunc(batch, func(a, b store.RefusalCount) int {
		return cmp.Or(strings.Compare(a.SiteID, b.SiteID), a.Minute.Compare(b.Minute), strings.Compare(a.Reason, b.Reason))
	})
	err := r.st.AddRefusals(ctx, batch, refusalRollups(batch))
	if err != nil {
		r.mu.Lock()
		for k, n := range pending {
			r.addLocked(k, n)
		}
		r.mu.Unlock()
	}
	return err
}

func (r *Refusals) loop(every time.Duration) {
	defer close(r.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := r.Flush(ctx); err != nil {
				r.log.Warn("refusal counts not stored yet", "err", err)
			}
			cancel()
		}
	}
}

// Close stops the flushing and writes what is counted.
func (r *Refusals) Close() {
	r.once.Do(func() {
		close(r.stop)
		<-r.done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.Flush(ctx); err != nil {
			r.log.Warn("refusal counts lost at shutdown", "err", err)
		}
	})
}
