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

// TestRegistryLookupsAllocateNothing: the chat path looks sites up on every request; the
// swappable snapshot must not make that allocate.
func TestRegistryLookupsAllocateNothing(t *testing.T) {
	r := registry(t, hsSite("shop", ""), hsSite("blog", ""))
	allocs := testing.AllocsPerRun(1000, func() {
		if _, ok := r.Get("blog"); !ok {
			t.Fatal("Get")
		}
		if _, ok := r.ForOrigin("https://blog.example"); !ok {
			t.Fatal("ForOrigin")
		}
		if _, ok := r.ForHost("blog.example"); !ok {
			t.Fatal("ForHost")
		}
		if len(r.All()) != 2 {
			t.Fatal("All")
		}
	})
	if allocs != 0 {
		t.Fatalf("lookups allocate %.1f times per run", allocs)
	}
}

// TestPublishSwapsTheSet: readers see the old set or the new one, never a mix; a compiled
// console site is untrusted and keeps its previous key until the overlap ends.
func TestPublishSwapsTheSet(t *testing.T) {
	r := registry(t, hsSite("shop", ""))
	before := r.All()
	cur, _ := upstream.NewHS256Signer("new", bytes.Repeat([]byte("n"), 32), site.Issuer, 30*time.Second)
	prev, _ := upstream.NewHS256Signer("old", bytes.Repeat([]byte("o"), 32), site.Issuer, 30*time.Second)
	cs := hsSite("hot", "")
	cs.WebhookURL = "https://n8n.example.com/w"
	hot, err := site.CompileManaged(cs, site.Keys{Current: cur, Previous: prev, PreviousUntil: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	r.Publish(append(append([]*site.Site(nil), before...), hot))
	if len(before) != 1 || before[0].ID != "shop" {
		t.Fatalf("the published set changed a slice readers held: %v", before)
	}
	got := get(t, r, "hot")
	if got.Trusted || got.Target.Trusted || got.Target.Signer.KeyID() != "new" || got.Target.Previous.KeyID() != "old" {
		t.Fatalf("compiled console site: trusted=%v target=%+v", got.Trusted, got.Target)
	}
	if s, ok := r.ForOrigin("https://hot.example"); !ok || s != got {
		t.Fatal("ForOrigin does not find the published site")
	}
	r.Publish(before)
	if _, ok := r.Get("hot"); ok {
		t.Fatal("a site left out of the new set is still served")
	}
}

// TestForOriginOrderWithWildcards: the first site in order wins, whether it allows the origin
// by an exact entry or a wildcard; only the canonical form is allowed.
func TestForOriginOrderWithWildcards(t *testing.T) {
	wild := hsSite("wild", "")
	wild.AllowedOrigins = []string{"https://*.shop.example"}
	exact := hsSite("exact", "")
	exact.AllowedOrigins = []string{"https://a.shop.example", "http://127.0.0.1:8080", "https://[::1]"}
	for _, tc := range []struct {
		order  []config.Site
		header string
		want   string
	}{
		{[]config.Site{wild, exact}, "https://a.shop.example", "wild"},
		{[]config.Site{exact, wild}, "https://a.shop.example", "exact"},
		{[]config.Site{exact, wild}, "https://b.shop.example", "wild"},
		{[]config.Site{exact}, "http://127.0.0.1:8080", "exact"},
		{[]config.Site{exact}, "https://[::1]", "exact"},
		{[]config.Site{exact}, "https://A.shop.example", ""},
		{[]config.Site{exact, wild}, "https://a.shop.example:443", ""},
		{[]config.Site{wild}, "https://shop.example", ""},
		{[]config.Site{exact}, "null", ""},
	} {
		got := ""
		if s, ok := registry(t, tc.order...).ForOrigin(tc.header); ok {
			got = s.ID
		}
		if got != tc.want {
			t.Errorf("%s with %s first: %q, want %q", tc.header, tc.order[0].ID, got, tc.want)
		}
	}
}
