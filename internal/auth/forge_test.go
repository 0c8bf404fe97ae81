package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"testing"
	"time"
)

// Hand-built tokens, so the tests do not depend on the library under test to make attacks.

var b64 = base64.RawURLEncoding

func segment(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b64.EncodeToString(raw)
}

// forge joins header and payload and appends the signature sign makes over them.
func forge(t testing.TB, header, payload map[string]any, sign func(input []byte) []byte) string {
	t.Helper()
	input := segment(t, header) + "." + segment(t, payload)
	return input + "." + b64.EncodeToString(sign([]byte(input)))
}

func hs256(secret []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		mac := hmac.New(sha256.New, secret)
		mac.Write(input)
		return mac.Sum(nil)
	}
}

func noSignature([]byte) []byte { return nil }

func rs256(t testing.TB, key *rsa.PrivateKey) func([]byte) []byte {
	return func(input []byte) []byte {
		sum := sha256.Sum256(input)
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatalf("rsa sign: %v", err)
		}
		return sig
	}
}

func es256(t testing.TB, key *ecdsa.PrivateKey) func([]byte) []byte {
	return func(input []byte) []byte {
		sum := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
		if err != nil {
			t.Fatalf("ecdsa sign: %v", err)
		}
		sig := make([]byte, 64) // JWS wants fixed-width r||s
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig
	}
}

func newRSAKey(t testing.TB) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("rsa key: %v", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatalf("marshal public key: %v", err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("ec key: %v", err)
	}
	return key
}

func goodHeader(kid string) map[string]any {
	return map[string]any{"alg": "HS256", "typ": tokenType, "kid": kid}
}

func goodPayload(now time.Time, kind string) map[string]any {
	return map[string]any{
		"iss": issuer, "aud": audience, "sub": "sess-1", "site_id": "site-1", "kind": kind,
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "j1",
	}
}

// with returns a copy of m with the given key set, or deleted when value is nil.
func with(m map[string]any, key string, value any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	if value == nil {
		delete(out, key)
	} else {
		out[key] = value
	}
	return out
}
