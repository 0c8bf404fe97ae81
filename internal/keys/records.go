package keys

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/chatproxy/chatproxy/internal/auth"
	"github.com/chatproxy/chatproxy/internal/crypto"
	"github.com/chatproxy/chatproxy/internal/store"
)

// Key statuses reported by List.
const (
	StatusSigning   = "signing"   // the primary: signs new tokens
	StatusVerifying = "verifying" // replaced, still accepts the tokens it signed
	StatusRetired   = "retired"   // past its end of use; the row stays for the record
)

// Info describes one stored key, without its material.
type Info struct {
	Purpose   string
	KID       string
	CreatedAt time.Time
	NotAfter  time.Time // as stored; zero = no end set
	Primary   bool
	Status    string    // StatusSigning, StatusVerifying or StatusRetired
	Until     time.Time // when a verifying key stops verifying (NotAfter or the implied cap)
	SealedBy  string    // kid of the field key that seals the material ("" if unreadable)
}

// List describes the session-token keys, oldest first.
func (m *Manager) List(ctx context.Context) ([]Info, error) {
	rows, err := m.o.Store.ListKeys(ctx, Purpose)
	if err != nil {
		return nil, fmt.Errorf("keys: list: %w", err)
	}
	now := m.o.Now()
	p := primaryIndex(rows)
	out := make([]Info, 0, len(rows))
	for i, r := range rows {
		info := Info{Purpose: r.Purpose, KID: r.KID, CreatedAt: r.CreatedAt, NotAfter: r.NotAfter, Primary: r.Primary}
		info.SealedBy, _ = crypto.SealedKID(r.Material)
		switch {
		case i == p:
			info.Status = StatusSigning
		case p >= 0 && m.verifyingUntil(r, rows[p]).After(now):
			info.Status, info.Until = StatusVerifying, m.verifyingUntil(r, rows[p])
		default:
			info.Status = StatusRetired
		}
		out = append(out, info)
	}
	return out, nil
}

// seed stores the key derived from Secret as the first primary.
func (m *Manager) seed(ctx context.Context) error {
	if len(m.o.Secret) == 0 {
		return fmt.Errorf("keys: the session-token keyring is empty and no JWT_SECRET_KEY was given to seed it")
	}
	k := auth.KeyFromSecret(m.o.Secret)
	if len(k.Secret) < auth.MinSecretLen {
		return fmt.Errorf("keys: JWT_SECRET_KEY must be at least %d bytes", auth.MinSecretLen)
	}
	if err := m.store(ctx, k.KID, k.Secret, m.o.Now()); err != nil {
		return err
	}
	m.o.Log.Info("session-token keyring seeded from JWT_SECRET_KEY", "kid", k.KID)
	return nil
}

// rotateFrom stores a new primary, then ends the use of the keys it replaces (with revoke: now).
// The order matters
// for a crash in between: a replaced key left without NotAfter is capped by verifyingUntil,
// whereas the other order could leave a primary with an end of use.
func (m *Manager) rotateFrom(ctx context.Context, rows []store.KeyRecord, revoke bool) (Rotation, error) {
	now := m.o.Now()
	kid, secret := crypto.GenerateKey()
	for slices.ContainsFunc(rows, func(r store.KeyRecord) bool { return r.KID == kid }) {
		kid, secret = crypto.GenerateKey() // a kid names one key for ever
	}
	if err := m.store(ctx, kid, secret, now); err != nil {
		return Rotation{}, err
	}
	r := Rotation{KID: kid, Until: now.Add(m.overlap())}
	if revoke {
		r.Until = now
	}
	p := primaryIndex(rows)
	for i, row := range rows {
		until := m.endOfUse(row, i == p, rows, p, r.Until)
		if revoke && until.After(now) {
			until = now
		}
		if !row.Primary && until.Equal(row.NotAfter) {
			continue
		}
		row.Primary, row.NotAfter = false, until
		if err := m.o.Store.AddKey(ctx, row); err != nil {
			return r, fmt.Errorf("keys: new primary %s stored, but retiring %s failed: %w", kid, row.KID, err)
		}
		r.Retired = append(r.Retired, row.KID)
	}
	return r, nil
}

// endOfUse is the NotAfter a rotation writes for a row it replaces: the overlap for the old
// primary, the cap verifyingUntil already implied for a replaced key without an end (writing it
// down, never extending it), and the stored end otherwise.
func (m *Manager) endOfUse(row store.KeyRecord, isPrimary bool, rows []store.KeyRecord, p int, overlapEnd time.Time) time.Time {
	switch {
	case isPrimary || (row.NotAfter.IsZero() && p < 0):
		return overlapEnd
	case row.NotAfter.IsZero():
		return m.verifyingUntil(row, rows[p])
	default:
		return row.NotAfter
	}
}

// store seals secret and adds it as the primary key.
func (m *Manager) store(ctx context.Context, kid string, secret []byte, now time.Time) error {
	sealed, err := m.o.Fields.Seal(secret, materialAAD(Purpose, kid))
	if err != nil {
		return fmt.Errorf("keys: seal %s: %w", kid, err)
	}
	rec := store.KeyRecord{Purpose: Purpose, KID: kid, Material: sealed, CreatedAt: now.UTC(), Primary: true}
	if err := m.o.Store.AddKey(ctx, rec); err != nil {
		return fmt.Errorf("keys: store %s: %w", kid, err)
	}
	return nil
}

// fromRecords opens the keys that may sign or verify at now. Keys past their end are neither
// opened nor kept (pruned from memory; their rows stay). A verifying key that cannot be opened
// (its field key was removed from CHATPROXY_ENCRYPTION_KEYS) is logged and skipped, since only
// the tokens it signed are affected; an unreadable primary is an error.
func (m *Manager) fromRecords(rows []store.KeyRecord, now time.Time) (auth.Key, []auth.Key, error) {
	p := primaryIndex(rows)
	if p < 0 {
		return auth.Key{}, nil, fmt.Errorf("keys: the session-token keyring has no primary key")
	}
	secret, err := m.open(rows[p])
	if err != nil {
		return auth.Key{}, nil, err
	}
	active := auth.Key{KID: rows[p].KID, Secret: secret}
	var others []auth.Key
	for i, r := range rows {
		until := m.verifyingUntil(r, rows[p])
		if i == p || !until.After(now) {
			continue
		}
		secret, err := m.open(r)
		if err != nil {
			m.o.Log.Error("session-token key cannot be opened; tokens it signed are refused", "kid", r.KID, "err", err)
			continue
		}
		others = append(others, auth.Key{KID: r.KID, Secret: secret, NotAfter: until})
	}
	return active, others, nil
}

// verifyingUntil is when a replaced key stops verifying: its NotAfter, or, when it has none (a
// rotation interrupted between its two writes, or two replicas rotating at once), the time
// the overlap would have given it, counted from the later of its own and the primary's creation.
func (m *Manager) verifyingUntil(r, primary store.KeyRecord) time.Time {
	if !r.NotAfter.IsZero() {
		return r.NotAfter
	}
	from := primary.CreatedAt
	if r.CreatedAt.After(from) {
		from = r.CreatedAt
	}
	return from.Add(m.overlap())
}

// overlap is how long a replaced key keeps verifying: a token it signed lives TokenLifetime, and
// replicas may sign with it for up to RefreshInterval after the rotation.
func (m *Manager) overlap() time.Duration {
	return m.o.TokenLifetime + m.o.RefreshInterval + clockSkew
}

func (m *Manager) open(r store.KeyRecord) ([]byte, error) {
	secret, err := m.o.Fields.Open(r.Material, materialAAD(r.Purpose, r.KID))
	if err != nil {
		field, _ := crypto.SealedKID(r.Material)
		return nil, fmt.Errorf("keys: open session-token key %s (sealed with field key %q; is it still in CHATPROXY_ENCRYPTION_KEYS?): %w", r.KID, field, err)
	}
	return secret, nil
}

// materialAAD binds sealed key material to its row, so material copied to another kid or
// purpose fails to open.
func materialAAD(purpose, kid string) string { return "keyring|" + purpose + "|" + kid }

// primaryIndex returns the index of the primary row (the newest, should there be several), or -1.
func primaryIndex(rows []store.KeyRecord) int {
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].Primary {
			return i
		}
	}
	return -1
}

// SealedWithOlderFieldKeys lists the session-token keys still signing or verifying whose
// material is sealed with a field key other than the primary. Such a field key must stay in
// CHATPROXY_ENCRYPTION_KEYS until these keys retire (or `keys rotate --revoke-previous` ends them):
// the store keeps a key's material for ever, so it cannot be resealed like a message.
func (m *Manager) SealedWithOlderFieldKeys(ctx context.Context) ([]Info, error) {
	all, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, k := range all {
		if k.Status != StatusRetired && k.SealedBy != m.o.Fields.PrimaryKID() {
			out = append(out, k)
		}
	}
	return out, nil
}
