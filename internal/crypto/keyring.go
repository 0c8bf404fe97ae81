// Package crypto seals personal fields at rest under a keyring of named keys.
//
// Values are sealed with AES-256-GCM; each names its key, so keys can be rotated without
// downtime. It also offers a keyed hash for values that must only be compared, never read back.
package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// KeySize is the length of every keyring key in bytes (AES-256).
const KeySize = 32

// maxKIDLen bounds a key id so it fits the one-byte length in the sealed header with room to spare.
const maxKIDLen = 16

// KeyEntry is one named key as written in CHATPROXY_ENCRYPTION_KEYS.
type KeyEntry struct {
	KID string
	Key []byte
}

// Keyring holds the AES-GCM keys that can open sealed values; the primary (the last key given)
// seals new ones. A Keyring is immutable after construction and safe for concurrent use.
type Keyring struct {
	byKID   map[string]cipher.AEAD
	primary string
	kids    []string // in the order given, oldest first
}

// ParseKeyring reads a keyring spec: a comma-separated list of kid:base64key entries, the last
// being the primary. Keys are 32 bytes in standard or URL-safe base64, padded or not. Errors
// name the entry index, never the key.
func ParseKeyring(spec string) (*Keyring, error) {
	entries, err := ParseKeyEntries(spec)
	if err != nil {
		return nil, err
	}
	return NewKeyring(entries)
}

// ParseKeyEntries splits and validates a keyring spec without building ciphers, so tools that
// rewrite the spec (adding a key) can work on the entries.
func ParseKeyEntries(spec string) ([]KeyEntry, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("crypto: keyring is empty")
	}
	parts := strings.Split(spec, ",")
	entries := make([]KeyEntry, 0, len(parts))
	for i, part := range parts {
		kid, encoded, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("crypto: keyring entry %d: want kid:base64key", i)
		}
		key, err := decodeKey(encoded)
		if err != nil {
			return nil, fmt.Errorf("crypto: keyring entry %d: %w", i, err)
		}
		entries = append(entries, KeyEntry{KID: kid, Key: key})
	}
	return entries, nil
}

// NewKeyring builds a keyring from entries; the last one is the primary.
func NewKeyring(entries []KeyEntry) (*Keyring, error) {
	if len(entries) == 0 {
		return nil, errors.New("crypto: keyring is empty")
	}
	kr := &Keyring{byKID: make(map[string]cipher.AEAD, len(entries))}
	for i, e := range entries {
		if err := ValidKID(e.KID); err != nil {
			return nil, fmt.Errorf("crypto: keyring entry %d: %w", i, err)
		}
		if _, dup := kr.byKID[e.KID]; dup {
			return nil, fmt.Errorf("crypto: keyring entry %d: duplicate kid %q", i, e.KID)
		}
		aead, err := newAEAD(e.Key)
		if err != nil {
			return nil, fmt.Errorf("crypto: keyring entry %d: %w", i, err)
		}
		kr.byKID[e.KID] = aead
		kr.kids = append(kr.kids, e.KID)
	}
	kr.primary = entries[len(entries)-1].KID
	return kr, nil
}

// FormatKeyring writes entries back in the form ParseKeyring reads (standard padded base64).
func FormatKeyring(entries []KeyEntry) string {
	var b strings.Builder
	for i, e := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(e.KID)
		b.WriteByte(':')
		b.WriteString(base64.StdEncoding.EncodeToString(e.Key))
	}
	return b.String()
}

// GenerateKey makes a fresh random key and a kid that starts with today's UTC date, so operators
// can tell keys' ages apart (e.g. "20260715-a1b2c3").
func GenerateKey() (kid string, key []byte) {
	key = make([]byte, KeySize)
	rand.Read(key) // never fails since Go 1.24
	var suffix [3]byte
	rand.Read(suffix[:])
	return time.Now().UTC().Format("20060102") + "-" + hex.EncodeToString(suffix[:]), key
}

// PrimaryKID names the key that seals new values.
func (kr *Keyring) PrimaryKID() string { return kr.primary }

// KIDs lists every key id, oldest first (for metrics and `keys list`).
func (kr *Keyring) KIDs() []string { return append([]string(nil), kr.kids...) }

// ValidKID reports whether kid is 1–16 characters of [A-Za-z0-9_-].
func ValidKID(kid string) error {
	if kid == "" || len(kid) > maxKIDLen {
		return fmt.Errorf("kid must be 1-%d characters", maxKIDLen)
	}
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
		if !ok {
			return errors.New("kid may only hold A-Z a-z 0-9 _ -")
		}
	}
	return nil
}

// decodeKey accepts the base64 variants operators are likely to paste. Its errors never echo
// the input.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	encodings := []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	}
	for _, enc := range encodings {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("key must be %d bytes, got %d", KeySize, len(key))
		}
		return key, nil
	}
	return nil, errors.New("key is not valid base64")
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
