package keys

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/auth"
	"github.com/chatproxy/chatproxy/internal/crypto"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/postgres"
	"github.com/chatproxy/chatproxy/internal/store/sqlite"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
)

// engine opens real databases: newDSN makes an empty one, open connects another handle to it
// (a second handle stands for a second replica).
type engine struct {
	name   string
	newDSN func(testing.TB) string
	open   func(context.Context, string, store.Cipher) (store.Store, error)
}

func engines() []engine {
	return []engine{
		{"sqlite", storetest.NewSQLitePath, func(ctx context.Context, dsn string, c store.Cipher) (store.Store, error) {
			return sqlite.Open(ctx, dsn, c)
		}},
		{"postgres", storetest.NewPostgresURL, func(ctx context.Context, dsn string, c store.Cipher) (store.Store, error) {
			return postgres.Open(ctx, dsn, c)
		}},
	}
}

// forEachEngine runs fn against SQLite and PostgreSQL in parallel subtests.
func forEachEngine(t *testing.T, fn func(t *testing.T, e engine)) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			fn(t, e)
		})
	}
}

// openStore opens and migrates a handle on dsn, closed when t ends.
func openStore(t *testing.T, e engine, dsn string, c store.Cipher) store.Store {
	t.Helper()
	s, err := e.open(t.Context(), dsn, c)
	if err != nil {
		t.Fatalf("open %s: %v", e.name, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate %s: %v", e.name, err)
	}
	return s
}

// fieldKeys is a field keyring of fresh random keys with the given kids (last = primary).
type fieldKeys struct{ entries []crypto.KeyEntry }

func newFieldKeys(kids ...string) fieldKeys {
	var f fieldKeys
	for _, kid := range kids {
		_, key := crypto.GenerateKey()
		f.entries = append(f.entries, crypto.KeyEntry{KID: kid, Key: key})
	}
	return f
}

// ring builds a keyring of the named kids, in that order (last = primary).
func (f fieldKeys) ring(t testing.TB, kids ...string) *crypto.Keyring {
	t.Helper()
	var picked []crypto.KeyEntry
	for _, kid := range kids {
		for _, e := range f.entries {
			if e.KID == kid {
				picked = append(picked, e)
			}
		}
	}
	kr, err := crypto.NewKeyring(picked)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return kr
}

// clock is a settable Now for Managers.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().UTC().Truncate(time.Millisecond)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// countingStore counts keyring reads, to see which calls reach the database.
type countingStore struct {
	store.Store
	lists atomic.Int32
}

func (c *countingStore) ListKeys(ctx context.Context, purpose string) ([]store.KeyRecord, error) {
	c.lists.Add(1)
	return c.Store.ListKeys(ctx, purpose)
}

// jwtSecret is JWT_SECRET_KEY in these tests.
const jwtSecret = "test-jwt-secret-0123456789abcdefghijklmnop"

const lifetime = 30 * 24 * time.Hour

func newManager(t *testing.T, st store.Store, fields *crypto.Keyring, clk *clock, tune func(*Options)) *Manager {
	t.Helper()
	o := Options{Store: st, Fields: fields, Secret: []byte(jwtSecret), TokenLifetime: lifetime, Now: clk.Now}
	if tune != nil {
		tune(&o)
	}
	m, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

func mustLoad(t *testing.T, m *Manager) *auth.Keys {
	t.Helper()
	ks, err := m.Load(t.Context())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return ks
}

// issue signs a token issued at the clock's now that lives twice as long as a session may, so
// what ends its validity in these tests is its key's NotAfter, not its own expiry.
func issue(t *testing.T, ks *auth.Keys, clk *clock) string {
	t.Helper()
	now := clk.Now()
	tok, err := auth.Issue(ks, auth.Claims{SessionID: uuid.NewString(), SiteID: "shop", Kind: auth.KindBearer, IssuedAt: now, ExpiresAt: now.Add(2 * lifetime)})
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return tok
}

func verify(ks *auth.Keys, token string, at time.Time) error {
	_, err := auth.Verify(ks, token, auth.KindBearer, at)
	return err
}

func listKeys(t *testing.T, st store.Store) []store.KeyRecord {
	t.Helper()
	rows, err := st.ListKeys(t.Context(), Purpose)
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	return rows
}
