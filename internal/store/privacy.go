package store

import (
	"context"
	"fmt"
	"time"
)

// Purge kinds: what a retention batch removes (docs/privacy.md#retention).
const (
	PurgeMessages = "messages" // messages created before the cutoff
	PurgeSessions = "sessions" // sessions last seen before the cutoff, with what is left of their messages
	PurgeVisitors = "visitors" // visitors last seen before the cutoff that have no session left
	PurgeEvents   = "events"   // analytics events created before the cutoff
)

// PurgeKinds lists the kinds in the order a purge runs them.
var PurgeKinds = []string{PurgeMessages, PurgeSessions, PurgeVisitors, PurgeEvents}

// Privacy is what visitors' rights and retention need from a database.
type Privacy interface {
	// SetSessionNoAnalytics records that the session's visitor withdrew (off=true) or gave
	// consent to analytics again. ErrNotFound for an unknown session.
	SetSessionNoAnalytics(ctx context.Context, id string, off bool) error
	// ListVisitorSessions returns a site's visitor's sessions, oldest first (nil when none).
	ListVisitorSessions(ctx context.Context, siteID, visitorID string) ([]Session, error)
	// ListSessionEvents returns the analytics events naming a session, oldest first.
	ListSessionEvents(ctx context.Context, sessionID string) ([]Event, error)
	// DeleteVisitor removes a site's visitor with every session, message and event of theirs in
	// one transaction, and returns how many sessions went. ErrNotFound for an unknown visitor.
	DeleteVisitor(ctx context.Context, siteID, visitorID string) (sessions int, err error)

	// PurgeBatch removes at most limit rows of kind (Purge*) of a site older than cutoff, and
	// records how many in the purge log in the same transaction. It returns that number; 0
	// means nothing of that kind is left to remove.
	PurgeBatch(ctx context.Context, siteID, kind string, cutoff time.Time, limit int) (int, error)
	// PurgeTotals sums the purge log of a site by kind.
	PurgeTotals(ctx context.Context, siteID string) (map[string]int64, error)

	// AcquireLease takes or renews the named lease for holder until ttl from now (the
	// database's clock where it has one). It reports false while another holder's lease runs.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease ends holder's lease early; another holder's lease is left alone.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// PurgeCutoffID is the smallest UUIDv7 string of the millisecond t: message and event ids
// (UUIDv7, time-ordered) below it were made before t, so a purge walks the primary key.
func PurgeCutoffID(t time.Time) string {
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	return fmt.Sprintf("%08x-%04x-7000-8000-000000000000", uint64(ms)>>16, uint64(ms)&0xffff)
}

// ValidPurgeKind reports whether kind is one of PurgeKinds.
func ValidPurgeKind(kind string) bool {
	for _, k := range PurgeKinds {
		if k == kind {
			return true
		}
	}
	return false
}
