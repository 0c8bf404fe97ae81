// Package keys runs the lifecycle of chatproxy's session-token and field keys.
//
// The session-token signing keyring is kept, sealed, in the database: seeded from
// JWT_SECRET_KEY, rotated on a schedule or by the CLI, and reloaded so every replica converges.
// Reencrypt reseals stored rows with the newest field key.
package keys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatproxy/chatproxy/internal/auth"
	"github.com/chatproxy/chatproxy/internal/crypto"
	"github.com/chatproxy/chatproxy/internal/store"
)

// Purpose names the session-token keys in the store's keyring table.
const Purpose = "session-token"

// Defaults for Options. How often keys rotate is a setting, declared with its default in
// internal/config (CHATPROXY_SESSION_KEY_ROTATION).
const (
	// DefaultRefreshInterval bounds how long a replica keeps signing with a key another replica
	// (or the CLI) has replaced.
	DefaultRefreshInterval = time.Minute
	// DefaultMinReloadGap bounds how often tokens with an unknown kid can make a replica reload.
	DefaultMinReloadGap = 5 * time.Second
)

const (
	// unknownKIDReloadTimeout bounds the reload a request waits for (see onUnknownKID).
	unknownKIDReloadTimeout = 2 * time.Second
	// clockSkew is added to every overlap: replicas' clocks and the database's may disagree a little.
	clockSkew = time.Minute
)

// Options configure a Manager.
type Options struct {
	Store store.Store
	// Fields is the CHATPROXY_ENCRYPTION_KEYS keyring; it seals key material at rest.
	Fields *crypto.Keyring
	// Secret is JWT_SECRET_KEY. It seeds an empty keyring (with the kid auth.KeyFromSecret gives
	// it), so tokens issued before keys were stored keep verifying. Once seeded it signs nothing new
	// after the first rotation.
	Secret []byte
	// TokenLifetime is the longest life of a session token (CHATPROXY_SESSION_MAX_AGE): how long
	// a replaced key must keep verifying. Required.
	TokenLifetime time.Duration
	// RotateEvery is the age at which Run replaces the primary key; 0 never rotates automatically.
	RotateEvery time.Duration
	// RefreshInterval is how often Run reloads the keyring; 0 means DefaultRefreshInterval.
	RefreshInterval time.Duration
	// MinReloadGap limits reloads caused by tokens naming an unknown kid; 0 means DefaultMinReloadGap.
	MinReloadGap time.Duration
	Log          *slog.Logger     // nil discards
	Now          func() time.Time // nil means time.Now; tests move it
}

// Manager keeps the in-memory *auth.Keys in step with the keyring table.
type Manager struct {
	o    Options
	keys atomic.Pointer[auth.Keys] // nil until Load

	reloadMu sync.Mutex // one reload at a time, so an older snapshot never replaces a newer one
	missMu   sync.Mutex // guards lastMiss and queues requests behind an unknown-kid reload
	lastMiss time.Time
}

// Rotation describes a rotation that was stored.
type Rotation struct {
	KID     string    // the new primary
	Retired []string  // kids whose NotAfter was set by this rotation
	Until   time.Time // the previous primary's NotAfter (now with RotateAndRevoke)
}

// New checks o and fills in defaults.
func New(o Options) (*Manager, error) {
	switch {
	case o.Store == nil || o.Fields == nil:
		return nil, errors.New("keys: a store and a field keyring are required")
	case o.TokenLifetime <= 0:
		return nil, errors.New("keys: the token lifetime must be positive")
	case o.RotateEvery < 0 || o.RefreshInterval < 0 || o.MinReloadGap < 0:
		return nil, errors.New("keys: intervals cannot be negative")
	}
	if o.RefreshInterval == 0 {
		o.RefreshInterval = DefaultRefreshInterval
	}
	if o.MinReloadGap == 0 {
		o.MinReloadGap = DefaultMinReloadGap
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Manager{o: o}, nil
}

// Load seeds an empty keyring from Secret (or makes a primary if none is marked), then builds
// the keyring every token is issued and verified with. Call it once before serving; later calls
// reload into the same *auth.Keys.
func (m *Manager) Load(ctx context.Context) (*auth.Keys, error) {
	rows, err := m.o.Store.ListKeys(ctx, Purpose)
	if err != nil {
		return nil, fmt.Errorf("keys: list: %w", err)
	}
	switch {
	case len(rows) == 0:
		if err := m.seed(ctx); err != nil {
			return nil, err
		}
	case primaryIndex(rows) < 0:
		m.o.Log.Warn("session-token keyring has no primary key; making a new one")
		if _, err := m.rotateFrom(ctx, rows, false); err != nil {
			return nil, err
		}
	}
	if _, err := m.reload(ctx); err != nil {
		return nil, err
	}
	return m.keys.Load(), nil
}

// Keys returns the keyring Load built (nil before Load).
func (m *Manager) Keys() *auth.Keys { return m.keys.Load() }

// Rotate stores a new random primary key and gives the previous one a NotAfter of now +
// TokenLifetime + RefreshInterval + 1 min, so every token it signed, including on replicas that
// have not reloaded yet, stays valid to its expiry. A replaced key left without an end gets the
// end verifyingUntil already gave it.
func (m *Manager) Rotate(ctx context.Context) (Rotation, error) {
	return m.rotate(ctx, false, false)
}

// RotateAndRevoke is Rotate for a compromised key: every previous key stops verifying now, so
// every visitor has to start a new session.
func (m *Manager) RotateAndRevoke(ctx context.Context) (Rotation, error) {
	return m.rotate(ctx, true, false)
}

// rotate reads the rows afresh (and, with onlyIfDue, gives up when the primary is no longer
// due), stores the rotation and reloads. A zero Rotation with no error means "not due".
func (m *Manager) rotate(ctx context.Context, revoke, onlyIfDue bool) (Rotation, error) {
	rows, err := m.o.Store.ListKeys(ctx, Purpose)
	if err != nil {
		return Rotation{}, fmt.Errorf("keys: list: %w", err)
	}
	if onlyIfDue && !m.due(rows) {
		return Rotation{}, nil
	}
	r, err := m.rotateFrom(ctx, rows, revoke)
	if err != nil {
		return r, err
	}
	if _, err := m.reload(ctx); err != nil {
		return r, fmt.Errorf("keys: rotated to %s, but reloading failed (the next reload applies it): %w", r.KID, err)
	}
	return r, nil
}

// Sync reloads the keyring and rotates when the primary is older than RotateEvery. Run calls it
// every RefreshInterval.
//
// Several replicas run Sync, and the store offers no lock, so the guard is the check itself,
// made twice (on the reload and again just before writing). Replicas' ticks are spread over the
// interval (Run starts at a random phase), so once one replica has rotated the others read a
// young primary and do nothing.
// Two replicas can still both rotate if their ticks fall within the few milliseconds between
// read and write. That is harmless: the later key becomes primary, the earlier one verifies
// until its cap (see verifyingUntil) like any replaced key, and tokens signed with either verify.
func (m *Manager) Sync(ctx context.Context) error {
	rows, err := m.reload(ctx)
	if err != nil || !m.due(rows) {
		return err
	}
	r, err := m.rotate(ctx, false, true)
	if err == nil && r.KID != "" {
		m.o.Log.Info("session-token key rotated on schedule", "kid", r.KID, "retired", r.Retired, "verifies_until", r.Until)
	}
	return err
}

// Run calls Sync every RefreshInterval until ctx ends. Failures are logged and the keys in
// memory stay as they were. Load must have succeeded first.
func (m *Manager) Run(ctx context.Context) {
	timer := time.NewTimer(rand.N(m.o.RefreshInterval)) // random phase: see Sync
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if err := m.Sync(ctx); err != nil && ctx.Err() == nil {
			m.o.Log.Warn("session-token keys: sync failed; keeping the keys in memory", "err", err)
		}
		timer.Reset(m.o.RefreshInterval)
	}
}

// due reports whether the primary among rows is old enough to replace.
func (m *Manager) due(rows []store.KeyRecord) bool {
	i := primaryIndex(rows)
	return m.o.RotateEvery > 0 && i >= 0 && !m.o.Now().Before(rows[i].CreatedAt.Add(m.o.RotateEvery))
}

// onUnknownKID is the auth.Keys hook: a token names a kid this replica does not hold, maybe
// because another replica has just rotated. It reloads at once, at most every MinReloadGap, so
// forged kids cannot flood the database. Requests arriving during the reload wait for it (then
// find the gap not yet over and return), so they see the new key too.
func (m *Manager) onUnknownKID() {
	m.missMu.Lock()
	defer m.missMu.Unlock()
	now := m.o.Now()
	if !m.lastMiss.IsZero() && now.Sub(m.lastMiss) < m.o.MinReloadGap {
		return
	}
	m.lastMiss = now
	// Verify has no context; the timeout keeps a slow database from holding the request long.
	ctx, cancel := context.WithTimeout(context.Background(), unknownKIDReloadTimeout)
	defer cancel()
	if _, err := m.reload(ctx); err != nil {
		m.o.Log.Warn("session-token keys: reload for an unknown kid failed", "err", err)
	}
}

// reload reads the keyring table and publishes it; it returns the rows it read.
func (m *Manager) reload(ctx context.Context) ([]store.KeyRecord, error) {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	rows, err := m.o.Store.ListKeys(ctx, Purpose)
	if err != nil {
		return nil, fmt.Errorf("keys: list: %w", err)
	}
	active, others, err := m.fromRecords(rows, m.o.Now())
	if err != nil {
		return nil, err
	}
	if ks := m.keys.Load(); ks != nil {
		return rows, ks.Replace(active, others...)
	}
	ks, err := auth.NewKeys(active, others...)
	if err != nil {
		return nil, err
	}
	ks.OnUnknownKID(m.onUnknownKID)
	m.keys.Store(ks)
	return rows, nil
}
