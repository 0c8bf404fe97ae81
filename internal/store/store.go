// Package store defines the durable data model and the storage engine interface.
//
// The model holds sites, visitors, sessions, messages and analytics events. Both storage
// engines implement the one interface: store/sqlite (embedded default) and store/postgres
// (production). Engines hold no domain logic; store/storetest is the conformance suite every
// engine must pass.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors every engine returns for the same conditions, so callers can use errors.Is.
var (
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrUnavailable wraps a failure to reach the database (connection refused, timeout).
	ErrUnavailable = errors.New("store: database unavailable")
	// ErrSchemaTooNew means the database was migrated by a newer binary.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this binary")
	// ErrForeignVisitor means a visitor id given for one site belongs to another site's visitor.
	ErrForeignVisitor = errors.New("store: visitor id belongs to another site")
	// ErrConflict means a unique value (an account's email, …) is taken.
	ErrConflict = errors.New("store: conflict")
)

// Message roles.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Message statuses.
const (
	StatusComplete = "complete" // stored in full
	StatusPartial  = "partial"  // the answer stopped part way (upstream cut, timeout after first token)
	StatusFailed   = "failed"   // no answer reached the visitor
)

// Site is the stored copy of a site's configuration. Config is opaque JSON owned by package config;
// the store only persists it so other replicas and the admin side can read it.
type Site struct {
	ID        string
	Name      string
	Config    []byte // JSON
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Visitor is a long-lived anonymous visitor of one site.
type Visitor struct {
	ID              string
	SiteID          string
	FingerprintHash string // keyed hash, never the raw fingerprint; "" when none
	FirstSeen       time.Time
	LastSeen        time.Time
}

// Session is one chat conversation of a visitor on a site.
type Session struct {
	ID        string
	SiteID    string
	VisitorID string
	CreatedAt time.Time
	LastSeen  time.Time
	// ExpiresAt is the absolute expiry; the idle expiry is derived from LastSeen by the caller.
	ExpiresAt time.Time
	IPHash    string // keyed hash of the truncated client IP; the raw IP is never stored
	UserAgent string // personal field: engines store it sealed by the Cipher
	PageURL   string // personal field: engines store it sealed by the Cipher
	Returning bool   // the visitor had an earlier session on this site when this one was made
	// NoAnalytics: the visitor withdrew consent, so no analytics event is recorded for it.
	NoAnalytics bool
	Country     string // ISO code from GeoIP at the session's start, "" when unknown
}

// Message is one turn of a conversation.
type Message struct {
	ID              string // time-ordered (UUIDv7): pagination sorts on it
	SessionID       string
	SiteID          string
	Role            string
	Content         string // sealed by the Cipher at rest
	Status          string
	ClientMessageID string // "" when the client gave none; unique per session otherwise
	FirstTokenMS    int64  // assistant only: ms from upstream call to first token, -1 if none
	TotalMS         int64  // assistant only: ms from upstream call to the end
	ErrorCode       string // assistant only: the error code the visitor was shown, "" when none
	CreatedAt       time.Time
}

// Event is one append-only analytics record. Data must never hold message text or secrets.
type Event struct {
	ID        string
	SiteID    string
	SessionID string // "" when not tied to a session
	VisitorID string // "" when unknown
	Type      string
	Data      []byte // JSON object
	// DedupeKey, when set, makes the event idempotent: a second event of the site with the
	// same key is not stored (a purchase's order id, a feedback's message).
	DedupeKey string
	CreatedAt time.Time
}

// Page asks for messages older than Before (a message id; "" = newest), at most Limit of them.
type Page struct {
	Before string
	Limit  int
}

// Store is what the rest of chatproxy needs from a database. Every method honours ctx and
// wraps connectivity failures in ErrUnavailable. Rows reference each other (foreign keys): a
// site is upserted before its visitors, sessions and events; a visitor is touched before its
// sessions are created; a session is created before its messages. Events may name any session.
type Store interface {
	Accounts      // operator accounts, console sessions, API tokens, setup tokens (accounts.go)
	AuditLog      // the append-only audit log (audit.go)
	SiteRecords   // sites managed at runtime, versions and change signals (siterecords.go)
	Refusals      // refused requests counted per site, reason and minute (refusals.go)
	Privacy       // visitors' own data, retention purges and leases (privacy.go)
	Analytics     // analytics events and their rollups (analytics.go)
	N8NBindings   // @n8n/chat widget session ids bound to sessions (n8nbindings.go)
	Conversations // the console's reads of conversations (conversations.go)
	Uploads       // visitors' uploaded files (uploads.go)

	// Migrate applies pending migrations (idempotent, safe to call from several replicas at once).
	Migrate(ctx context.Context) error
	// SchemaVersion reports the applied and the latest known migration versions.
	SchemaVersion(ctx context.Context) (applied, latest int, err error)
	Ping(ctx context.Context) error
	Close() error

	UpsertSite(ctx context.Context, s Site) error
	GetSite(ctx context.Context, id string) (Site, error)
	ListSites(ctx context.Context) ([]Site, error)

	// TouchVisitor creates the visitor if it is new or updates LastSeen (and FingerprintHash when
	// given). It reports whether the visitor — or another visitor of the same site with the same
	// non-empty fingerprint hash — already had a session on the site before now. An id that
	// belongs to another site's visitor is ErrForeignVisitor.
	TouchVisitor(ctx context.Context, v Visitor) (returning bool, err error)
	CreateSession(ctx context.Context, s Session) error
	// StartSession is TouchVisitor followed by CreateSession in one transaction (and, where the
	// engine allows, one round trip): the hot path of a new conversation. s.Returning and
	// s.VisitorID are ignored; the stored session, with Returning as TouchVisitor reports it, is
	// returned. When v.ID is not a visitor yet and v's non-empty fingerprint hash is that of a
	// visitor of the site that had a session, the session goes to that visitor (the earliest
	// one) and the returned VisitorID is its id: a returning visitor keeps one id. An id that
	// belongs to another site's visitor is ErrForeignVisitor, and nothing is written.
	StartSession(ctx context.Context, v Visitor, s Session) (Session, error)
	// GetSession returns ErrNotFound for an unknown id.
	GetSession(ctx context.Context, id string) (Session, error)
	// TouchSession moves LastSeen forward.
	TouchSession(ctx context.Context, id string, lastSeen time.Time) error

	// AddMessage inserts a message. When ClientMessageID is set and that session already has a
	// message with it, nothing is written and the existing row is returned with created=false.
	AddMessage(ctx context.Context, m Message) (stored Message, created bool, err error)
	// AddUserMessage is AddMessage that also returns, read in the same round trip, up to
	// historyDepth messages of the session older than m (oldest first): the conversation context
	// sent upstream with it. history is nil when historyDepth <= 0 or created is false.
	AddUserMessage(ctx context.Context, m Message, historyDepth int) (stored Message, created bool, history []Message, err error)
	// GetMessage returns ErrNotFound for an unknown id.
	GetMessage(ctx context.Context, id string) (Message, error)
	// NextMessage returns the first message of the session created after the message afterID
	// with the given role (used to find the answer to a user message); ErrNotFound if none yet.
	NextMessage(ctx context.Context, sessionID, afterID, role string) (Message, error)
	// ListMessages returns a session's messages, oldest first, from the page asked for.
	ListMessages(ctx context.Context, sessionID string, p Page) ([]Message, error)

	AddEvent(ctx context.Context, e Event) error
	// CountEvents counts a site's events of a type (used by tests and the admin side).
	CountEvents(ctx context.Context, siteID, typ string) (int, error)

	// AddKey stores a key of the keyring. A kid names one key for ever: adding a (Purpose, KID)
	// that exists keeps its Material and CreatedAt and only updates NotAfter and Primary.
	// Primary=true demotes the purpose's other keys in the same transaction. A zero CreatedAt
	// means now.
	AddKey(ctx context.Context, k KeyRecord) error
	// ListKeys returns a purpose's keys, oldest first (CreatedAt, then KID).
	ListKeys(ctx context.Context, purpose string) ([]KeyRecord, error)

	// ReencryptMessages walks messages in id order after afterID ("" = from the start), at most
	// limit of them (<= 0 means 500; capped at 5000), and rewrites each sealed content for which reseal reports changed. It returns
	// the last id examined ("" when no message follows afterID: the walk is done) and how many
	// rows were rewritten. The caller resumes by passing lastID back; a run can stop at any batch.
	// A row is rewritten only if it still holds the bytes reseal saw, so concurrent runs are safe.
	// Run ReencryptMessages to the end, then ReencryptSessions (or both side by side).
	ReencryptMessages(ctx context.Context, afterID string, limit int, reseal ResealFunc) (lastID string, n int, err error)
	// ReencryptSessions does the same for sessions' sealed fields (user agent and page URL);
	// n counts rows with at least one field rewritten.
	ReencryptSessions(ctx context.Context, afterID string, limit int, reseal ResealFunc) (lastID string, n int, err error)

	// DeleteSessionsBefore deletes a site's sessions last seen before t, with their messages and
	// events, and the site's visitors last seen before t that are left with no session. It returns
	// the number of sessions deleted.
	DeleteSessionsBefore(ctx context.Context, siteID string, t time.Time) (int, error)
	// DeleteSession hard-deletes one session with its messages and events; ErrNotFound if unknown.
	DeleteSession(ctx context.Context, id string) error
}

// KeyRecord is one key of the keyring (docs/security-keys.md). The store never sees key
// material in the clear: Material is sealed by the caller before AddKey.
type KeyRecord struct {
	Purpose   string // what the key is for, e.g. "fields" or "tokens"
	KID       string // key id, unique within the purpose
	Material  []byte // sealed by the caller
	CreatedAt time.Time
	NotAfter  time.Time // zero = no end of use
	Primary   bool      // the key new values are sealed with; at most one per purpose
}

// ResealFunc re-encrypts one sealed value bound to aad. It reports changed=false when the value
// is already sealed with the current key, so the row is left alone.
type ResealFunc func(old []byte, aad string) (sealed []byte, changed bool, err error)

// Cipher seals personal fields before they are written and opens them when read. The associated
// data binds a value to its row so a value copied into another row fails to open.
type Cipher interface {
	Seal(plaintext []byte, aad string) ([]byte, error)
	Open(sealed []byte, aad string) ([]byte, error)
}

// PlainCipher stores values as they are. Used only where no encryption key is configured.
type PlainCipher struct{}

// Seal returns the plaintext unchanged.
func (PlainCipher) Seal(p []byte, _ string) ([]byte, error) { return p, nil }

// Open returns the stored bytes unchanged.
func (PlainCipher) Open(s []byte, _ string) ([]byte, error) { return s, nil }

// MessageAAD is the associated data that binds a message's content to its row.
func MessageAAD(m Message) string {
	return "msg|" + m.SiteID + "|" + m.SessionID + "|" + m.ID + "|" + m.Role
}

// SessionAAD binds a session's personal field (named by field) to its row.
func SessionAAD(s Session, field string) string {
	return "session|" + s.SiteID + "|" + s.ID + "|" + field
}
