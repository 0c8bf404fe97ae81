// Package storetest is the conformance suite every store engine must pass.
//
// It also gives integration tests a fresh database (NewPostgresURL, NewSQLitePath). It runs
// against real databases only.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/store"
)

// Hooks is what an engine's test build exposes so the suite can reach below the Store API:
// fake a newer schema, and read or overwrite the raw sealed bytes of a personal field.
// Tables and columns are "messages"/"content_enc" and "sessions"/"user_agent_enc" or "page_url_enc".
type Hooks interface {
	SetSchemaVersionForTest(ctx context.Context, version int) error
	RawSealedForTest(ctx context.Context, table, column, id string) ([]byte, error)
	SetRawSealedForTest(ctx context.Context, table, column, id string, sealed []byte) error
}

// Opener returns a fresh, empty, not yet migrated store using c, closed at t's cleanup. The
// store must implement Hooks.
type Opener func(t *testing.T, c store.Cipher) store.Store

// Run runs the whole suite. Every subtest opens its own database, so they run in parallel.
func Run(t *testing.T, open Opener) {
	groups := []struct {
		name  string
		tests func(t *testing.T, open Opener)
	}{
		{"Schema", runSchema},
		{"Sites", runSites},
		{"Visitors", runVisitors},
		{"Sessions", runSessions},
		{"Messages", runMessages},
		{"HotPath", runHotPath},
		{"Pagination", runPagination},
		{"Sealing", runSealing},
		{"Events", runEvents},
		{"Keyring", runKeyring},
		{"Reencrypt", runReencrypt},
		{"Retention", runRetention},
		{"Concurrency", runConcurrency},
		{"Errors", runErrors},
		{"Accounts", runAccounts},
		{"Audit", runAudit},
		{"SiteRecords", runSiteRecords},
		{"Privacy", runPrivacy},
		{"N8NBindings", runN8NBindings},
		{"Conversations", runConversations},
		{"Refusals", runRefusals},
		{"Uploads", runUploads},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.tests(t, open) })
	}
}

// fixture is a migrated store with one site, plus builders for the rows tests need.
type fixture struct {
	t    *testing.T
	ctx  context.Context
	s    store.Store
	site store.Site
	now  time.Time // in a non-UTC zone on purpose: engines must return UTC
}

func newFixture(t *testing.T, open Opener) *fixture {
	t.Helper()
	t.Parallel()
	f := &fixture{t: t, ctx: t.Context(), s: open(t, testCipher{version: 1})}
	f.now = time.Now().Truncate(time.Millisecond).In(time.FixedZone("UTC+3", 3*3600))
	if err := f.s.Migrate(f.ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	f.site = f.addSite("site-" + newID()[24:])
	return f
}

func (f *fixture) hooks() Hooks {
	h, ok := f.s.(Hooks)
	if !ok {
		f.t.Fatalf("%T does not implement storetest.Hooks", f.s)
	}
	return h
}

func (f *fixture) addSite(id string) store.Site {
	f.t.Helper()
	site := store.Site{ID: id, Name: "Shop " + id, Config: []byte(`{"theme":"dark"}`), CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.s.UpsertSite(f.ctx, site); err != nil {
		f.t.Fatalf("UpsertSite: %v", err)
	}
	return site
}

// visitor creates a visitor of the fixture's site.
func (f *fixture) visitor(fingerprint string) store.Visitor {
	return f.visitorOn(f.site.ID, fingerprint)
}

func (f *fixture) visitorOn(siteID, fingerprint string) store.Visitor {
	f.t.Helper()
	v := store.Visitor{ID: newID(), SiteID: siteID, FingerprintHash: fingerprint, FirstSeen: f.now, LastSeen: f.now}
	if _, err := f.s.TouchVisitor(f.ctx, v); err != nil {
		f.t.Fatalf("TouchVisitor: %v", err)
	}
	return v
}

// session creates a session (and its visitor) on the fixture's site.
func (f *fixture) session() store.Session {
	return f.sessionOf(f.visitor(""))
}

func (f *fixture) sessionOf(v store.Visitor) store.Session {
	f.t.Helper()
	s := store.Session{
		ID: newID(), SiteID: v.SiteID, VisitorID: v.ID,
		CreatedAt: f.now, LastSeen: f.now, ExpiresAt: f.now.Add(24 * time.Hour),
		IPHash: "iphash-1", UserAgent: "Mozilla/5.0 (X11; Linux) Firefox/130", PageURL: "https://shop.example/cart?item=42",
	}
	if err := f.s.CreateSession(f.ctx, s); err != nil {
		f.t.Fatalf("CreateSession: %v", err)
	}
	return s
}

// message adds a message to sess and fails the test unless it was created.
func (f *fixture) message(sess store.Session, role, content, clientID string) store.Message {
	f.t.Helper()
	m := newMessage(sess, role, content, clientID, f.now)
	got, created, err := f.s.AddMessage(f.ctx, m)
	if err != nil || !created {
		f.t.Fatalf("AddMessage: created=%v err=%v", created, err)
	}
	return got
}

func newMessage(sess store.Session, role, content, clientID string, at time.Time) store.Message {
	m := store.Message{
		ID: newID(), SessionID: sess.ID, SiteID: sess.SiteID, Role: role, Content: content,
		Status: store.StatusComplete, ClientMessageID: clientID, FirstTokenMS: -1, CreatedAt: at,
	}
	if role == store.RoleAssistant {
		m.FirstTokenMS, m.TotalMS = 120, 980
	}
	return m
}

// newID returns a UUIDv7: time-ordered, and strictly increasing within this process.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// checkTime fails unless got is want, in UTC.
func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("%s = %v, want %v in UTC", what, got, want.UTC())
	}
}

func checkNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: err = %v, want ErrNotFound", what, err)
	}
}

// testCipher really transforms bytes and binds them to their AAD, like the production cipher:
// "tcN:" + 8 bytes of SHA-256(aad) + plaintext XOR a version-dependent byte. It opens any
// version, so re-encryption from version 1 to 2 can be checked.
type testCipher struct{ version byte }

const cipherTagLen = 4 + 8

func (c testCipher) Seal(p []byte, aad string) ([]byte, error) {
	h := sha256.Sum256([]byte(aad))
	out := make([]byte, 0, cipherTagLen+len(p))
	out = append(out, 't', 'c', '0'+c.version, ':')
	out = append(out, h[:8]...)
	for _, b := range p {
		out = append(out, b^(0x5a+c.version))
	}
	return out, nil
}

func (testCipher) Open(s []byte, aad string) ([]byte, error) {
	if len(s) < cipherTagLen || s[0] != 't' || s[1] != 'c' || s[3] != ':' {
		return nil, errors.New("testcipher: not sealed")
	}
	h := sha256.Sum256([]byte(aad))
	if !bytes.Equal(s[4:cipherTagLen], h[:8]) {
		return nil, errors.New("testcipher: aad mismatch")
	}
	version := s[2] - '0'
	out := make([]byte, 0, len(s)-cipherTagLen)
	for _, b := range s[cipherTagLen:] {
		out = append(out, b^(0x5a+version))
	}
	return out, nil
}

// sealedVersion reports the testCipher version a raw value was sealed with.
func sealedVersion(raw []byte) byte {
	if len(raw) < cipherTagLen {
		return 0
	}
	return raw[2] - '0'
}
