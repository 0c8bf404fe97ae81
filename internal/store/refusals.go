package store

import (
	"context"
	"time"
)

// RefusalCount is how many requests of a site were refused for one reason in one minute.
type RefusalCount struct {
	SiteID string
	Reason string    // the guard's reason label: "session", "sessions_per_ip", "blocklist", ...
	Minute time.Time // the start of the UTC minute
	Count  int64
}

// Refusals are counters, not rows per refusal: what a client that is being refused can make the
// server write is bounded by sites × reasons × minutes, however fast it asks.
type Refusals interface {
	// AddRefusals adds each count to its (site, reason, minute) counter, creating it when
	// missing, and adds rollups (what the counts add to the analytics rollups; rows sorted
	// as WriteEvents' deltas are), all in one transaction. Minutes are truncated to the
	// minute (UTC).
	AddRefusals(ctx context.Context, counts []RefusalCount, rollups RollupDelta) error
	// RefusalCounts returns a site's counters with from <= minute < to, by minute then reason.
	RefusalCounts(ctx context.Context, siteID string, from, to time.Time) ([]RefusalCount, error)
}
