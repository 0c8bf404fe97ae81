package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatproxy/chatproxy/internal/geoip/geoiptest"
	"github.com/chatproxy/chatproxy/internal/n8ntest"
)

// TestUpstreamContextGeoAndClientIPPolicy: behind a trusted proxy the visitor's IP gives
// country/city from GEOIP_DB, and each site's client_ip policy decides what n8n sees.
func TestUpstreamContextGeoAndClientIPPolicy(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "city.mmdb")
	geoiptest.WriteTestDB(t, db)
	for policy, check := range map[string]func(ip any) bool{
		"raw":    func(ip any) bool { return ip == "81.2.69.160" },
		"omit":   func(ip any) bool { return ip == nil },
		"hashed": func(ip any) bool { s, _ := ip.(string); return len(s) == 64 },
	} {
		t.Run(policy, func(t *testing.T) {
			e := newEnv(t, "sqlite", withEnv("GEOIP_DB", db), withEnv("TRUSTED_PROXIES", "127.0.0.0/8"),
				withOtherSiteYAML("    client_ip: "+policy+"\n    abuse: {min_first_message_delay_ms: -1}\n"))
			e.fake.SetScenario(n8ntest.ScenarioJSONOutput)
			xff := map[string]string{"X-Forwarded-For": "81.2.69.160"}
			resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"}, header: xff})
			var s session
			decode(t, resp, &s)
			resp = e.do(request{method: "POST", path: "/api/v1/chat/message", origin: otherOrigin, token: s.Token, body: map[string]any{"message": "where am I"}, header: xff})
			readSSE(t, resp)
			got, _ := e.fake.Last()
			meta := got.JSON["metadata"].(map[string]any)
			if meta["country"] != "GB" || meta["city"] != "London" {
				t.Fatalf("geo: %v %v", meta["country"], meta["city"])
			}
			if !check(meta["client_ip"]) {
				t.Fatalf("client_ip with policy %s: %v", policy, meta["client_ip"])
			}
		})
	}
}

// TestES256SiteAndJWKS: a site signing with ES256 publishes its public key, and the JWT n8n
// receives verifies with the key from /.well-known/jwks.json.
func TestES256SiteAndJWKS(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(key)
	path := filepath.Join(t.TempDir(), "es256.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, "sqlite", withOtherSiteYAML("    signing: {algorithm: ES256, private_key_file: "+path+", kid: other-1}\n    abuse: {min_first_message_delay_ms: -1}\n"))
	resp := e.do(request{method: "GET", path: "/.well-known/jwks.json"})
	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	decode(t, resp, &jwks)
	if len(jwks.Keys) != 1 || jwks.Keys[0]["kid"] != "other-1" || jwks.Keys[0]["crv"] != "P-256" || jwks.Keys[0]["d"] != nil {
		t.Fatalf("jwks: %v", jwks.Keys)
	}
	e.fake.SetScenario(n8ntest.ScenarioJSONOutput)
	resp = e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"}})
	var s session
	decode(t, resp, &s)
	readSSE(t, e.do(request{method: "POST", path: "/api/v1/chat/message", origin: otherOrigin, token: s.Token, body: map[string]any{"message": "hi"}}))
	got, _ := e.fake.Last()
	tok, err := jwt.Parse(got.Token, func(*jwt.Token) (any, error) { return &key.PublicKey, nil }, jwt.WithValidMethods([]string{"ES256"}))
	if err != nil || tok.Header["kid"] != "other-1" {
		t.Fatalf("ES256 token: %v %v", err, tok.Header)
	}
	if _, err := jwt.Parse(got.Token, func(*jwt.Token) (any, error) { return []byte(n8nSecret), nil }, jwt.WithValidMethods([]string{"HS256"})); err == nil {
		t.Fatal("ES256 token accepted as HS256")
	}
}
