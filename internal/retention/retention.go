// Package retention removes data past each site's retention, in batches.
//
// One replica at a time runs a purge (a lease in the database); each batch deletes at most
// Batch rows and logs them in its own transaction, then pauses, so chat traffic never waits
// long and a purge killed half way resumes where it stopped. Sites on legal hold are skipped.
// Each run reports what it removed as a metric and one audit entry per site.
package retention

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/store"
)

// LeaseName is the lease a purge holds while it runs.
const LeaseName = "retention-purge"

// Defaults of Options.
const (
	DefaultBatch    = 500
	DefaultPause    = 20 * time.Millisecond
	DefaultLeaseTTL = 2 * time.Minute
	DefaultInterval = time.Hour
)

// ErrBusy means another replica holds the purge lease.
var ErrBusy = errors.New("retention: another replica is purging")

// Options wire a Purger.
type Options struct {
	Store    store.Store
	Sites    func() []config.Site // the sites served now
	Audit    *audit.Log           // nil: no audit entries
	Registry prometheus.Registerer
	Log      *slog.Logger
	Holder   string // this replica's name in the lease
	Batch    int
	Pause    time.Duration // between batches: chat writes get the database in between
	LeaseTTL time.Duration
	Interval time.Duration
	Now      func() time.Time
}

// Purger runs purges.
type Purger struct {
	o      Options
	purged *prometheus.CounterVec
}

// New builds a Purger, registering its metric on o.Registry when set.
func New(o Options) *Purger {
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.Pause < 0 {
		o.Pause = 0
	} else if o.Pause == 0 {
		o.Pause = DefaultPause
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	p := &Purger{o: o, purged: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "chatproxy_retention_purged_total", Help: "Rows removed by retention purges, by kind.",
	}, []string{"kind"})}
	if o.Registry != nil {
		o.Registry.MustRegister(p.purged)
	}
	return p
}

// Report is what one run removed, by site and kind.
type Report map[string]map[string]int

// Cutoff returns the time before which a site's data of kind is past retention, and false
// when the site keeps it for ever (or is on legal hold).
func Cutoff(s config.Site, kind string, now time.Time) (time.Time, bool) {
	if s.LegalHold {
		return time.Time{}, false
	}
	days := s.Retention.RetentionDays(kindSetting(kind))
	if days < 0 {
		return time.Time{}, false
	}
	return now.Add(-time.Duration(days) * 24 * time.Hour), true
}

// kindSetting maps a purge kind to the retention setting that governs it: sessions and
// visitors hold conversation data, so they follow the messages' period.
func kindSetting(kind string) string {
	if kind == store.PurgeEvents {
		return "events"
	}
	return "messages"
}

// RunOnce purges every site once, holding the lease. ErrBusy when another replica holds it.
func (p *Purger) RunOnce(ctx context.Context) (Report, error) {
	ok, err := p.o.Store.AcquireLease(ctx, LeaseName, p.o.Holder, p.o.LeaseTTL)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrBusy
	}
	defer func() {
		// A fresh context: the lease should go even when ctx ended the run.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = p.o.Store.ReleaseLease(rctx, LeaseName, p.o.Holder)
	}()
	report := Report{}
	for _, s := range p.o.Sites() {
		removed, err := p.purgeSite(ctx, s)
		if len(removed) > 0 {
			report[s.ID] = removed
			p.record(ctx, s.ID, removed)
		}
		if err != nil {
			return report, err
		}
	}
	return report, nil
}

// purgeSite removes each kind of a site's expired data, batch by batch.
func (p *Purger) purgeSite(ctx context.Context, s config.Site) (map[string]int, error) {
	removed := map[string]int{}
	now := p.o.Now()
	for _, kind := range store.PurgeKinds {
		cutoff, ok := Cutoff(s, kind, now)
		if !ok {
			continue
		}
		for {
			n, err := p.o.Store.PurgeBatch(ctx, s.ID, kind, cutoff, p.o.Batch)
			if n > 0 {
				removed[kind] += n
				p.purged.WithLabelValues(kind).Add(float64(n))
			}
			if err != nil {
				return removed, err
			}
			if n == 0 {
				break
			}
			if err := p.renew(ctx); err != nil {
				return removed, err
			}
		}
	}
	return removed, nil
}

// renew keeps the lease and pauses between batches.
func (p *Purger) renew(ctx context.Context) error {
	ok, err := p.o.Store.AcquireLease(ctx, LeaseName, p.o.Holder, p.o.LeaseTTL)
	if err != nil {
		return err
	}
	if !ok {
		return ErrBusy // our lease ran out and another replica took it: it carries on
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(p.o.Pause):
		return nil
	}
}

func (p *Purger) record(ctx context.Context, siteID string, removed map[string]int) {
	if p.o.Audit == nil {
		return
	}
	diff := map[string]any{}
	for k, n := range removed {
		diff[k] = n
	}
	e := audit.Entry{
		Actor: audit.Actor{Label: "system:retention"}, Action: audit.RetentionPurge,
		SiteID: siteID, TargetType: "site", TargetID: siteID, Diff: map[string]any{"removed": diff},
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := p.o.Audit.Record(rctx, e); err != nil {
		p.o.Log.Error("retention: audit entry not written", "site", siteID, "err", err)
	}
}

// Loop runs a purge every Interval until ctx ends; a replica that finds the lease taken
// waits for the next turn.
func (p *Purger) Loop(ctx context.Context) {
	t := time.NewTicker(p.o.Interval)
	defer t.Stop()
	for {
		report, err := p.RunOnce(ctx)
		switch {
		case errors.Is(err, ErrBusy), errors.Is(err, context.Canceled):
		case err != nil:
			p.o.Log.Warn("retention purge stopped", "err", err)
		case len(report) > 0:
			p.o.Log.Info("retention purge done", "sites", len(report))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
