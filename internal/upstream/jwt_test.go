package upstream_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatproxy/chatproxy/internal/upstream"
)

var (
	testNow    = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	testSecret = []byte("0123456789abcdef0123456789abcdef")
)

func testRequest() upstream.Request {
	return upstream.Request{
		SiteID: "shop-a", SessionID: "sess-1", MessageID: "msg-1", VisitorID: "vis-1",
		Text: "Do you ship to Norway?", Time: testNow,
	}
}

func newES256Key(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// decodeSegment returns one JWT segment as a map, to see exactly what is on the wire.
func decodeSegment(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSignGoldenClaims(t *testing.T) {
	t.Parallel()
	es, err := upstream.NewES256Signer("k-es", newES256Key(t), "chatproxy", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := upstream.NewHS256Signer("k-hs", testSecret, "chatproxy", 45*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*upstream.Signer{es, hs} {
		token, jti, err := s.Sign(testRequest(), testNow)
		if err != nil {
			t.Fatal(err)
		}
		header := decodeSegment(t, token, 0)
		wantHeader := map[string]any{"alg": s.Algorithm(), "kid": s.KeyID(), "typ": "n8n-webhook+jwt"}
		if !mapsEqual(header, wantHeader) {
			t.Errorf("%s header = %v; want %v", s.Algorithm(), header, wantHeader)
		}
		claims := decodeSegment(t, token, 1)
		want := map[string]any{
			"iss": "chatproxy", "aud": "n8n:shop-a", "sub": "sess-1", "site_id": "shop-a", "msg_id": "msg-1",
			"jti": jti, "iat": float64(testNow.Unix()), "exp": float64(testNow.Add(s.TTL()).Unix()),
		}
		if !mapsEqual(claims, want) { // also proves there is no nbf
			t.Errorf("%s claims = %v; want %v", s.Algorithm(), claims, want)
		}
		if len(jti) != 36 {
			t.Errorf("jti %q is not a UUID", jti)
		}
	}
	if es.TTL() != 30*time.Second || hs.TTL() != 45*time.Second {
		t.Fatalf("TTLs = %v, %v", es.TTL(), hs.TTL())
	}
}

func mapsEqual(a, b map[string]any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestSignVerifiesWithPinnedAlgorithm(t *testing.T) {
	t.Parallel()
	key := newES256Key(t)
	es, _ := upstream.NewES256Signer("k1", key, "chatproxy", 30*time.Second)
	hs, _ := upstream.NewHS256Signer("k2", testSecret, "chatproxy", 30*time.Second)
	cases := []struct {
		signer *upstream.Signer
		alg    string
		key    any
	}{{es, "ES256", &key.PublicKey}, {hs, "HS256", testSecret}}
	for _, c := range cases {
		token, jti, err := c.signer.Sign(testRequest(), testNow)
		if err != nil {
			t.Fatal(err)
		}
		var claims upstream.Claims
		_, err = jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return c.key, nil },
			jwt.WithValidMethods([]string{c.alg}), jwt.WithAudience("n8n:shop-a"), jwt.WithIssuer("chatproxy"),
			jwt.WithSubject("sess-1"), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
			jwt.WithTimeFunc(func() time.Time { return testNow.Add(5 * time.Second) }))
		if err != nil {
			t.Fatalf("%s: verify: %v", c.alg, err)
		}
		if claims.SiteID != "shop-a" || claims.MsgID != "msg-1" || claims.ID != jti {
			t.Fatalf("%s: claims %+v", c.alg, claims)
		}
		if life := claims.ExpiresAt - claims.IssuedAt; life <= 0 || life > 60 {
			t.Fatalf("%s: lifetime %ds", c.alg, life)
		}
		// Expired once the TTL has passed.
		_, err = jwt.ParseWithClaims(token, &upstream.Claims{}, func(*jwt.Token) (any, error) { return c.key, nil },
			jwt.WithValidMethods([]string{c.alg}),
			jwt.WithTimeFunc(func() time.Time { return testNow.Add(61 * time.Second) }))
		if err == nil {
			t.Fatalf("%s: token accepted after 61 s", c.alg)
		}
		// Another algorithm is refused even with the right key material.
		other := map[string]string{"ES256": "HS256", "HS256": "ES256"}[c.alg]
		if _, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return c.key, nil }, jwt.WithValidMethods([]string{other})); err == nil {
			t.Fatalf("%s token accepted as %s", c.alg, other)
		}
	}
}

func TestSignerRejectsBadConfig(t *testing.T) {
	t.Parallel()
	if _, err := upstream.NewHS256Signer("k", testSecret[:31], "i", 30*time.Second); err == nil {
		t.Error("31-byte HS256 secret accepted")
	}
	if _, err := upstream.NewHS256Signer("k", testSecret, "i", 61*time.Second); err == nil {
		t.Error("61 s TTL accepted")
	}
	if _, err := upstream.NewES256Signer("k", newES256Key(t), "i", 2*time.Minute); err == nil {
		t.Error("2 min TTL accepted")
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if _, err := upstream.NewES256Signer("k", p384, "i", 30*time.Second); err == nil {
		t.Error("P-384 key accepted for ES256")
	}
	if _, err := upstream.NewES256Signer("k", nil, "i", 30*time.Second); err == nil {
		t.Error("nil key accepted")
	}
	if _, err := upstream.NewHS256Signer("k", testSecret, "i", 0); err == nil {
		t.Error("zero TTL accepted: the site's signing.ttl (default in internal/config) must be passed")
	}
	if s, err := upstream.NewHS256Signer("k", testSecret, "i", 60*time.Second); err != nil || s.TTL() != 60*time.Second {
		t.Errorf("60 s TTL: %v", err)
	}
}

func TestParseES256PrivateKeyPEM(t *testing.T) {
	t.Parallel()
	key := newES256Key(t)
	sec1, _ := x509.MarshalECPrivateKey(key)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	for name, block := range map[string]*pem.Block{
		"sec1": {Type: "EC PRIVATE KEY", Bytes: sec1}, "pkcs8": {Type: "PRIVATE KEY", Bytes: pkcs8},
	} {
		got, err := upstream.ParseES256PrivateKeyPEM(pem.EncodeToMemory(block))
		if err != nil || !got.Equal(key) {
			t.Errorf("%s: %v", name, err)
		}
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(p384)
	if _, err := upstream.ParseES256PrivateKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})); err == nil {
		t.Error("P-384 PEM accepted")
	}
	if _, err := upstream.ParseES256PrivateKeyPEM([]byte("not pem")); err == nil {
		t.Error("garbage accepted")
	}
}

// TestPublicJWK rebuilds the public key from the published JWK and verifies a token with it.
func TestPublicJWK(t *testing.T) {
	t.Parallel()
	es, _ := upstream.NewES256Signer("kid-7", newES256Key(t), "chatproxy", 30*time.Second)
	jwk, ok := es.PublicJWK()
	if !ok {
		t.Fatal("no JWK for ES256")
	}
	for k, v := range map[string]string{"kty": "EC", "crv": "P-256", "kid": "kid-7", "alg": "ES256", "use": "sig"} {
		if jwk[k] != v {
			t.Errorf("jwk[%s] = %v; want %s", k, jwk[k], v)
		}
	}
	if _, has := jwk["d"]; has {
		t.Fatal("JWK leaks the private key")
	}
	x, _ := base64.RawURLEncoding.DecodeString(jwk["x"].(string))
	y, _ := base64.RawURLEncoding.DecodeString(jwk["y"].(string))
	if len(x) != 32 || len(y) != 32 {
		t.Fatalf("coordinate lengths %d, %d", len(x), len(y))
	}
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
	token, _, _ := es.Sign(testRequest(), time.Now())
	if _, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return pub, nil }, jwt.WithValidMethods([]string{"ES256"})); err != nil {
		t.Fatalf("token does not verify with the published JWK: %v", err)
	}
	hs, _ := upstream.NewHS256Signer("k", testSecret, "chatproxy", 30*time.Second)
	if _, ok := hs.PublicJWK(); ok {
		t.Fatal("HS256 signer published a key")
	}
}
