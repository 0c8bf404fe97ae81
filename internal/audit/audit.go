// Package audit keeps an append-only, hash-chained log of console actions.
//
// Every entry names its actor (account id and a label copied at write time, so entries
// outlive accounts), client IP, time, action (from the registry in actions.go), target,
// result (ok, denied, error), request id and a diff with secrets redacted. Each entry's hash
// covers the previous entry's hash and its own canonical JSON, so Verify detects a row
// changed or removed below the application (the tables also refuse UPDATE and DELETE).
package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/store"
)

// Result is how the audited attempt ended.
type Result string

// Results.
const (
	OK     Result = "ok"
	Denied Result = "denied" // refused: bad credentials, out of role or scope
	Failed Result = "error"  // allowed but failed
)

// Actor is who acted. ID is "" when no account is known (CLI, setup, unknown email).
type Actor struct {
	ID    string
	Label string // the account's email, "cli", "setup", …
	IP    string
}

// Entry is what a caller records.
type Entry struct {
	Actor      Actor
	Action     Action
	Result     Result // "" = OK
	SiteID     string
	TargetType string // "account", "token", "site", "conversation", "session"
	TargetID   string
	// Diff is any JSON-marshalable value, usually Changes(before, after) or a map of fields;
	// keys that name secrets are replaced by "<redacted>" at any depth.
	Diff      any
	RequestID string
}

// Log writes and reads the audit log.
type Log struct {
	store store.AuditLog
	now   func() time.Time
}

// New returns a Log over st.
func New(st store.AuditLog) *Log { return &Log{store: st, now: time.Now} }

// WithClock replaces the clock (tests).
func (l *Log) WithClock(now func() time.Time) *Log { l.now = now; return l }

// Record appends e. The caller decides what a failure means; handlers log it and answer as
// the action itself went (the change already happened).
func (l *Log) Record(ctx context.Context, e Entry) (store.AuditEntry, error) {
	if e.Action.name == "" {
		return store.AuditEntry{}, errors.New("audit: entry without an action")
	}
	if e.Result == "" {
		e.Result = OK
	}
	diff, err := redactedJSON(e.Diff)
	if err != nil {
		return store.AuditEntry{}, fmt.Errorf("audit: diff of %s: %w", e.Action.name, err)
	}
	row := store.AuditEntry{
		ID: uuid.Must(uuid.NewV7()).String(), At: l.now().UTC().Truncate(time.Microsecond),
		ActorID: e.Actor.ID, ActorLabel: truncate(e.Actor.Label, 256), ActorIP: e.Actor.IP,
		Action: e.Action.name, SiteID: e.SiteID, TargetType: e.TargetType, TargetID: e.TargetID,
		Result: string(e.Result), Diff: diff, RequestID: e.RequestID,
	}
	return l.store.AppendAudit(ctx, row, Hash)
}

// List returns entries matching f, newest first.
func (l *Log) List(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	return l.store.ListAudit(ctx, f)
}

// Verify walks the whole chain and returns how many entries it checked, or an error naming
// the first entry whose hash or link does not match.
func (l *Log) Verify(ctx context.Context) (int, error) {
	var after int64
	prev, n := "", 0
	for {
		batch, err := l.store.AuditChain(ctx, after, 500)
		if err != nil {
			return n, err
		}
		if len(batch) == 0 {
			return n, nil
		}
		for _, e := range batch {
			if e.PrevHash != prev {
				return n, fmt.Errorf("audit: entry %d (%s) does not follow the one before it: the chain is broken", e.Seq, e.ID)
			}
			if Hash(e) != e.Hash {
				return n, fmt.Errorf("audit: entry %d (%s) was changed after it was written", e.Seq, e.ID)
			}
			prev, after = e.Hash, e.Seq
			n++
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
