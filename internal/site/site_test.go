package site_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

const master = "session-secret-key-0123456789abcdef0123"

func hsSite(id, secret string) config.Site {
	return config.Site{
		ID: id, Name: id, AllowedOrigins: []string{"https://" + id + ".example"},
		WebhookURL: "http://n8n:5678/webhook/" + id, PayloadFormat: "chat-trigger", Trusted: true,
		Signing: config.Signing{Algorithm: "HS256", Secret: secret, TTL: config.Dur(30 * time.Second)},
	}
}

func registry(t *testing.T, sites ...config.Site) *site.Registry {
	t.Helper()
	r, err := site.NewRegistry(sites, []byte(master))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func get(t *testing.T, r *site.Registry, id string) *site.Site {
	t.Helper()
	s, ok := r.Get(id)
	if !ok {
		t.Fatalf("no site %s", id)
	}
	return s
}

// sign makes the token the site would send to n8n.
func sign(t *testing.T, s *site.Site) string {
	t.Helper()
	token, _, err := s.Target.Signer.Sign(upstream.Request{SiteID: s.ID, SessionID: "sess", MessageID: "msg"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// verifies checks a token the way n8n's JWT Auth does: HS256 pinned, signature and exp.
func verifies(token string, secret []byte) bool {
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"})).Parse(token, func(*jwt.Token) (any, error) { return secret, nil })
	return err == nil
}

// TestSitesWithoutSecretGetTheirOwnKey: sites that set no secret sign with a key derived for
// each of them, so one site's n8n credential cannot mint tokens another site's n8n accepts.
func TestSitesWithoutSecretGetTheirOwnKey(t *testing.T) {
	r := registry(t, hsSite("shop-a", ""), hsSite("shop-b", ""))
	a, b := get(t, r, "shop-a"), get(t, r, "shop-b")
	if a.Target.Signer.KeyID() == b.Target.Signer.KeyID() {
		t.Fatalf("shop-a and shop-b sign with the same key (kid %s)", a.Target.Signer.KeyID())
	}
	secretA, sourceA, err := site.UpstreamSecret(a.Site, []byte(master))
	if err != nil {
		t.Fatal(err)
	}
	secretB, _, err := site.UpstreamSecret(b.Site, []byte(master))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(secretA, secretB) || bytes.Equal(secretA, []byte(master)) || len(secretA) < 32 {
		t.Fatalf("derived secrets: a=%q b=%q (source %q); want distinct, not SESSION_SECRET_KEY, ≥ 32 bytes", secretA, secretB, sourceA)
	}
	again, _, _ := site.UpstreamSecret(a.Site, []byte(master))
	if !bytes.Equal(again, secretA) {
		t.Fatal("the derived secret changes between calls: replicas and restarts would disagree")
	}
	tokenA := sign(t, a)
	if !verifies(tokenA, secretA) {
		t.Fatal("shop-a's token does not verify with shop-a's secret")
	}
	if verifies(tokenA, secretB) || verifies(tokenA, []byte(master)) {
		t.Fatal("shop-a's token verifies with shop-b's secret or SESSION_SECRET_KEY")
	}
}

// TestDefaultSiteKeepsSessionSecretKey: the seed's single site ("default", from
// N8N_WEBHOOK_URL) keeps signing with SESSION_SECRET_KEY itself, since existing n8n
// credentials hold it; a site's own secret always wins.
func TestDefaultSiteKeepsSessionSecretKey(t *testing.T) {
	const own = "own-secret-of-shop-c-0123456789abcdef"
	r := registry(t, hsSite(config.DefaultSiteID, ""), hsSite("shop-c", own))
	def := get(t, r, config.DefaultSiteID)
	if secret, _, _ := site.UpstreamSecret(def.Site, []byte(master)); string(secret) != master {
		t.Fatalf("default site secret = %q, want SESSION_SECRET_KEY", secret)
	}
	if !verifies(sign(t, def), []byte(master)) {
		t.Fatal("the default site's token does not verify with SESSION_SECRET_KEY")
	}
	c := get(t, r, "shop-c")
	if secret, source, _ := site.UpstreamSecret(c.Site, []byte(master)); string(secret) != own || source != "signing.secret" {
		t.Fatalf("shop-c secret = %q from %q, want its own", secret, source)
	}
	if !verifies(sign(t, c), []byte(own)) {
		t.Fatal("shop-c's token does not verify with its own secret")
	}
}

// TestSharedKeysAreReported: sites that end up with the same signing key are listed together.
func TestSharedKeysAreReported(t *testing.T) {
	const same = "one-secret-for-two-sites-0123456789abcd"
	r := registry(t, hsSite("x", same), hsSite("y", same), hsSite("z", ""),
		hsSite(config.DefaultSiteID, ""), hsSite("w", master))
	groups := r.SharedKeys()
	if len(groups) != 2 || len(groups[0]) != 2 || groups[0][0] != "x" || groups[0][1] != "y" ||
		len(groups[1]) != 2 || groups[1][0] != config.DefaultSiteID || groups[1][1] != "w" {
		t.Fatalf("SharedKeys = %v, want [[x y] [default w]]", groups)
	}
}
