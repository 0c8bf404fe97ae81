package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/chatproxy/chatproxy/internal/apierr"
)

// Password policy: length is what matters (NIST SP 800-63B); no composition rules.
const (
	MinPasswordLen = 12  // characters
	MaxPasswordLen = 256 // bytes: bounds the hashing work an attacker can ask for
)

// argonParams are argon2id's cost parameters (OWASP's first recommendation: 19 MiB, 2 passes,
// 1 lane), written into every hash so they can be raised later without breaking old hashes.
type argonParams struct {
	memoryKiB uint32
	passes    uint32
	lanes     uint8
	keyLen    uint32
}

var defaultArgon = argonParams{memoryKiB: 19 * 1024, passes: 2, lanes: 1, keyLen: 32}

const saltLen = 16

// CheckPassword applies the policy.
func CheckPassword(pw string) error {
	switch {
	case !utf8.ValidString(pw):
		return apierr.WeakPassword("The password is not valid UTF-8.")
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return apierr.WeakPassword(fmt.Sprintf("The password must have at least %d characters.", MinPasswordLen))
	case len(pw) > MaxPasswordLen:
		return apierr.WeakPassword(fmt.Sprintf("The password must have at most %d bytes.", MaxPasswordLen))
	case strings.TrimSpace(pw) == "":
		return apierr.WeakPassword("The password cannot be only spaces.")
	}
	return nil
}

// HashPassword returns pw's argon2id hash in PHC form:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard base64).
func HashPassword(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return encodeHash(defaultArgon, salt, pw), nil
}

func encodeHash(p argonParams, salt []byte, pw string) string {
	key := argon2.IDKey([]byte(pw), salt, p.passes, p.memoryKiB, p.lanes, p.keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memoryKiB, p.passes, p.lanes,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether pw matches the PHC hash, in time independent of where
// they differ. A malformed hash is an error.
func VerifyPassword(hash, pw string) (bool, error) {
	p, salt, want, err := decodeHash(hash)
	if err != nil {
		return false, err
	}
	if len(pw) > MaxPasswordLen {
		pw = pw[:MaxPasswordLen] // same work as a valid guess; it cannot match anyway
	}
	got := argon2.IDKey([]byte(pw), salt, p.passes, p.memoryKiB, p.lanes, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

var errBadHash = errors.New("console: malformed password hash")

func decodeHash(hash string) (argonParams, []byte, []byte, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return argonParams{}, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return argonParams{}, nil, nil, errBadHash
	}
	var p argonParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memoryKiB, &p.passes, &p.lanes); err != nil ||
		p.memoryKiB < 8*1024 || p.memoryKiB > 1<<20 || p.passes == 0 || p.passes > 16 || p.lanes == 0 {
		return argonParams{}, nil, nil, errBadHash
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 {
		return argonParams{}, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

// dummyHash is verified when the email is unknown or the account disabled, so a failed
// sign-in costs the same whichever way it failed.
// It is computed on first use, not at start-up.
var dummyHash = sync.OnceValue(func() string {
	return encodeHash(defaultArgon, make([]byte, saltLen), "chatproxy: no such account")
})
