// Package auth issues and verifies the session tokens the widget presents.
//
// A token travels as a bearer header or a cookie value: an HS256 JWT signed with a rotatable
// keyring of HMAC secrets.
package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// MinSecretLen is the shortest HMAC secret accepted (256 bits, RFC 8725 §3.5).
const MinSecretLen = 32

const maxKIDLen = 16

// Key is one named HMAC secret. NotAfter is zero while the key is usable without limit; a retired
// key verifies tokens only before NotAfter.
type Key struct {
	KID      string
	Secret   []byte
	NotAfter time.Time
}

// Keys is the signing keyring: one active key signs, older keys keep verifying until their
// NotAfter. Verification reads an immutable snapshot without locking, so a background rotation
// never stalls requests.
type Keys struct {
	current atomic.Pointer[keySet]
	rotate  sync.Mutex             // serialises writers; readers only Load
	unknown atomic.Pointer[func()] // see OnUnknownKID; nil when the keyring is not shared
}

// keySet is never modified after it is published.
type keySet struct {
	active Key
	byKID  map[string]Key
}

// NewKeys builds a keyring signing with primary and still accepting previous keys.
func NewKeys(primary Key, previous ...Key) (*Keys, error) {
	set, err := newKeySet(primary, previous)
	if err != nil {
		return nil, err
	}
	ks := &Keys{}
	ks.current.Store(set)
	return ks, nil
}

// newKeySet checks and copies the keys into a set ready to publish.
func newKeySet(primary Key, previous []Key) (*keySet, error) {
	if !primary.NotAfter.IsZero() {
		return nil, errors.New("auth: the active key must not have NotAfter")
	}
	set := &keySet{byKID: make(map[string]Key, 1+len(previous))}
	for _, k := range append([]Key{primary}, previous...) {
		if err := checkKey(k); err != nil {
			return nil, err
		}
		if _, dup := set.byKID[k.KID]; dup {
			return nil, fmt.Errorf("auth: duplicate key id %q", k.KID)
		}
		set.byKID[k.KID] = cloneKey(k)
	}
	set.active = set.byKID[primary.KID]
	return set, nil
}

// KeyFromSecret names secret with a kid derived from it (first 8 hex digits of its SHA-256), so
// every replica and every restart given the same JWT_SECRET_KEY agrees on the kid.
func KeyFromSecret(secret []byte) Key {
	sum := sha256.Sum256(secret)
	return Key{KID: hex.EncodeToString(sum[:4]), Secret: secret}
}

// KeysFromSecret is a keyring holding only KeyFromSecret(secret).
func KeysFromSecret(secret []byte) (*Keys, error) {
	return NewKeys(KeyFromSecret(secret))
}

// Active returns the key that signs new tokens.
func (ks *Keys) Active() Key { return ks.current.Load().active }

// Rotate makes newKey the active key. The previous active key keeps verifying for keepOldFor
// (set it to the longest token lifetime); keys whose NotAfter has passed are dropped.
func (ks *Keys) Rotate(newKey Key, keepOldFor time.Duration) error {
	if err := checkKey(newKey); err != nil {
		return err
	}
	if !newKey.NotAfter.IsZero() {
		return errors.New("auth: the active key must not have NotAfter")
	}
	ks.rotate.Lock()
	defer ks.rotate.Unlock()
	old := ks.current.Load()
	if _, dup := old.byKID[newKey.KID]; dup {
		return fmt.Errorf("auth: key id %q is already in the keyring", newKey.KID)
	}
	now := time.Now()
	next := &keySet{active: cloneKey(newKey), byKID: make(map[string]Key, len(old.byKID)+1)}
	next.byKID[newKey.KID] = next.active
	for kid, k := range old.byKID {
		if kid == old.active.KID {
			k.NotAfter = now.Add(keepOldFor)
		}
		if k.NotAfter.IsZero() || now.Before(k.NotAfter) {
			next.byKID[kid] = k
		}
	}
	ks.current.Store(next)
	return nil
}

// verifyingKey returns the secret for kid if that key may still verify at now.
func (ks *Keys) verifyingKey(kid string, now time.Time) ([]byte, bool) {
	k, ok := ks.current.Load().byKID[kid]
	if !ok {
		k, ok = ks.refreshFor(kid)
	}
	if !ok || (!k.NotAfter.IsZero() && !now.Before(k.NotAfter)) {
		return nil, false
	}
	return k.Secret, true
}

func checkKey(k Key) error {
	if len(k.Secret) < MinSecretLen {
		return fmt.Errorf("auth: key %q: secret must be at least %d bytes", k.KID, MinSecretLen)
	}
	return checkKID(k.KID)
}

func checkKID(kid string) error {
	if kid == "" || len(kid) > maxKIDLen {
		return fmt.Errorf("auth: key id must be 1-%d characters", maxKIDLen)
	}
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return errors.New("auth: key id may only hold A-Z a-z 0-9 _ -")
		}
	}
	return nil
}

// cloneKey copies the secret so a caller reusing its slice cannot change a published key.
func cloneKey(k Key) Key {
	k.Secret = append([]byte(nil), k.Secret...)
	return k
}
