package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The fuzz keyring and clock are fixed so the committed seed corpus (testdata/fuzz/FuzzVerify)
// stays meaningful: its first file is a correctly signed token for them.
var (
	fuzzSecret = []byte("fuzz-secret-0123456789abcdef-0123456789")
	fuzzNow    = time.Unix(1_800_000_000, 0)
)

// FuzzVerify: no input panics, every refusal is one of our sentinels without the token in its
// text, and nothing verifies except the one correctly signed seed.
func FuzzVerify(f *testing.F) {
	ks, err := NewKeys(Key{KID: "fuzz", Secret: fuzzSecret})
	if err != nil {
		f.Fatal(err)
	}
	valid := forge(f, goodHeader("fuzz"), goodPayload(fuzzNow, KindBearer), hs256(fuzzSecret))
	for _, seed := range []string{
		valid,
		forge(f, with(goodHeader("fuzz"), "alg", "none"), goodPayload(fuzzNow, KindBearer), noSignature),
		forge(f, goodHeader("fuzz"), goodPayload(fuzzNow, KindCookie), hs256(fuzzSecret)),
		"", ".", "..", "a.b.c", "eyJ9.eyJ9.", strings.Repeat("A", 300),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := Verify(ks, token, KindBearer, fuzzNow)
		if err == nil {
			if token != valid {
				t.Fatalf("forged token verified: %q -> %+v", token, claims)
			}
			return
		}
		if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrExpiredToken) {
			t.Fatalf("error is not a sentinel: %v", err)
		}
		if len(token) >= 8 && strings.Contains(err.Error(), token) {
			t.Fatalf("error text contains the token")
		}
	})
}
