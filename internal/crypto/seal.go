package crypto

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
)

// Sealed value layout (version 1):
//
//	offset 0        version byte (0x01)
//	offset 1        n = length of the kid (1..16)
//	offset 2        kid, n bytes (ASCII)
//	offset 2+n      nonce, 12 random bytes
//	offset 14+n     AES-256-GCM ciphertext followed by the 16-byte tag
//
// The caller's aad is the GCM additional data. The header is not part of it: changing the kid
// selects another key (or none) and changing the version is refused, so both still fail.
// Random 96-bit nonces are allowed for at most 2^32 seals per key (NIST SP 800-38D): at ~3 seals
// per exchange that is ~1.4 billion exchanges, i.e. about 17 days of a sustained 1,000/s. Rotate
// the primary key well before a key's seal count gets there.
const (
	sealVersion = 1
	nonceSize   = 12
	tagSize     = 16
)

// Errors from Open and Reseal, for errors.Is.
var (
	// ErrMalformed means the value is not a sealed value this version understands.
	ErrMalformed = errors.New("crypto: malformed sealed value")
	// ErrUnknownKey means the value was sealed under a key the keyring does not hold.
	ErrUnknownKey = errors.New("crypto: sealed under an unknown key")
	// ErrAuthentication means the value was tampered with, or belongs to another row (aad).
	ErrAuthentication = errors.New("crypto: sealed value failed authentication")
)

// Seal encrypts plaintext under the primary key, binding it to aad. Empty plaintext is sealed
// too, so every stored value, even an empty one, is authenticated and tied to its row.
func (kr *Keyring) Seal(plaintext []byte, aad string) ([]byte, error) {
	return kr.sealWith(kr.primary, plaintext, aad), nil
}

// Open decrypts a value made by Seal with the same aad, using whichever key sealed it.
func (kr *Keyring) Open(sealed []byte, aad string) ([]byte, error) {
	kid, nonce, body, err := splitSealed(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := kr.byKID[string(kid)]
	if !ok {
		return nil, ErrUnknownKey
	}
	plain, err := aead.Open(nil, nonce, body, []byte(aad))
	if err != nil {
		return nil, ErrAuthentication
	}
	if plain == nil {
		plain = []byte{} // callers can tell "opened, empty" from a missing value
	}
	return plain, nil
}

// Reseal re-encrypts a value under the primary key when another key sealed it, for the
// `keys reencrypt` job. A value already under the primary key is returned as it is, without being
// decrypted, so a resumed job skips finished rows cheaply.
func (kr *Keyring) Reseal(sealed []byte, aad string) (out []byte, changed bool, err error) {
	kid, _, _, err := splitSealed(sealed)
	if err != nil {
		return nil, false, err
	}
	if string(kid) == kr.primary {
		return sealed, false, nil
	}
	plain, err := kr.Open(sealed, aad)
	if err != nil {
		return nil, false, err
	}
	return kr.sealWith(kr.primary, plain, aad), true, nil
}

// SealedKID names the key that sealed a value, without decrypting it (for metrics and the
// re-encrypt job's progress report).
func SealedKID(sealed []byte) (string, error) {
	kid, _, _, err := splitSealed(sealed)
	return string(kid), err
}

// sealWith allocates the output once: header, nonce, then GCM appends ciphertext and tag in place.
func (kr *Keyring) sealWith(kid string, plaintext []byte, aad string) []byte {
	header := 2 + len(kid)
	out := make([]byte, header+nonceSize, header+nonceSize+len(plaintext)+tagSize)
	out[0] = sealVersion
	out[1] = byte(len(kid))
	copy(out[2:], kid)
	nonce := out[header : header+nonceSize]
	rand.Read(nonce) // never fails since Go 1.24
	return kr.byKID[kid].Seal(out, nonce, plaintext, []byte(aad))
}

// splitSealed parses the header. The slices alias sealed.
func splitSealed(sealed []byte) (kid, nonce, body []byte, err error) {
	if len(sealed) < 2 || sealed[0] != sealVersion {
		return nil, nil, nil, ErrMalformed
	}
	n := int(sealed[1])
	if n == 0 || n > maxKIDLen || len(sealed) < 2+n+nonceSize+tagSize {
		return nil, nil, nil, ErrMalformed
	}
	kid = sealed[2 : 2+n]
	nonce = sealed[2+n : 2+n+nonceSize]
	body = sealed[2+n+nonceSize:]
	return kid, nonce, body, nil
}

// HMAC returns the hex HMAC-SHA256 of parts under key, for keyed hashes of values that are only
// ever compared (visitor fingerprint, truncated client IP). Each part is length-prefixed (8-byte
// big-endian) so ("ab","c") and ("a","bc") hash differently.
func HMAC(key []byte, parts ...string) string {
	mac := hmac.New(sha256.New, key)
	var size [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(size[:], uint64(len(p)))
		mac.Write(size[:])
		mac.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(mac.Sum(sum[:0]))
}
