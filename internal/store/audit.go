package store

import (
	"context"
	"time"
)

// AuditEntry is one row of the append-only audit log.
type AuditEntry struct {
	ID         string // UUIDv7: pagination sorts on it
	Seq        int64  // chain position, set by the engine
	At         time.Time
	ActorID    string // "" = no account (failed login with an unknown email, CLI, setup)
	ActorLabel string // copied at write time, so entries outlive the account
	ActorIP    string
	Action     string
	SiteID     string // "" = not about one site
	TargetType string
	TargetID   string
	Result     string // ok | denied | error
	Diff       []byte // JSON object, secrets already redacted
	RequestID  string
	PrevHash   string
	Hash       string
}

// AuditFilter selects audit entries, newest first. Zero fields do not filter.
type AuditFilter struct {
	Action     string
	ActorID    string
	SiteID     string
	TargetType string
	TargetID   string
	Result     string
	From, To   time.Time // At in [From, To)
	Before     string    // keyset cursor: entries with an id below this one
	Limit      int       // clamped by PageLimit
	// Scope, when set, limits the entries to those of these sites (any site when AnySite)
	// or acted by ScopeActor: what a non-owner may read.
	Scope *AuditScope
}

// AuditScope is the part of the log a caller may read.
type AuditScope struct {
	SiteIDs    []string
	AnySite    bool // every entry about some site
	ScopeActor string
}

// AuditHashFunc computes an entry's hash from the previous entry's hash and the entry itself
// (whose PrevHash is already set). It belongs to package audit, so that verification and
// writing share one definition.
type AuditHashFunc func(e AuditEntry) string

// AuditLog is the append-only audit log. The tables refuse UPDATE and DELETE (triggers).
type AuditLog interface {
	// AppendAudit sets e.Seq and e.PrevHash (the hash of the entry before it, "" for the first)
	// and e.Hash = hash(e), and inserts it. Appends are serialized across processes, so the
	// chain stays linear.
	AppendAudit(ctx context.Context, e AuditEntry, hash AuditHashFunc) (AuditEntry, error)
	// ListAudit returns entries matching f, newest (highest id) first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	// AuditChain returns up to limit entries in chain order after position afterSeq (0 = the
	// start), for verification.
	AuditChain(ctx context.Context, afterSeq int64, limit int) ([]AuditEntry, error)
}
