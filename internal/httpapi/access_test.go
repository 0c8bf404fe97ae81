package httpapi_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
)

var sameOrigin = map[string]string{"Sec-Fetch-Site": "same-origin"}

// siteOf returns the site a session token belongs to.
func (e *env) siteOf(token string) string {
	e.t.Helper()
	resp := e.do(request{method: "GET", path: "/api/v1/session/validate", origin: shopOrigin, token: token})
	var v struct {
		SiteID string `json:"site_id"`
	}
	decode(e.t, resp, &v)
	return v.SiteID
}

// The seed's widget sends origin_domain: location.hostname (a bare host name) and page_url, and
// no site_id. Served with the API on one host (one nginx serving the page and forwarding
// /api/), its requests are same-origin; it got 403 because the host name is not an origin.
func TestSessionSeedWidgetSameHost(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.fake.SetScenario(n8ntest.ScenarioEcho)
	resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: shopOrigin, host: "shop.example", header: sameOrigin,
		body: map[string]any{"origin_domain": "shop.example", "page_url": shopOrigin + "/p/1"}})
	if resp.StatusCode != 200 {
		t.Fatalf("seed widget on the shop's host: %d %s", resp.StatusCode, readAll(resp))
	}
	var s session
	decode(t, resp, &s)
	for _, c := range resp.Cookies() {
		if c.Name == "chat_session_id" {
			s.cookie = c.Value
		}
	}
	if site := e.siteOf(s.Token); site != "shop" || s.cookie == "" {
		t.Fatalf("session of site %q, cookie %q", site, s.cookie)
	}
	// Its chat flow on that host: POST with the cookie, the EventSource GET (no Origin), history.
	post := e.do(request{method: "POST", path: "/api/v1/chat/message", origin: shopOrigin, host: "shop.example", header: sameOrigin,
		cookie: s.cookie, body: map[string]any{"message": "first from the old widget", "session_id": s.ID}})
	if res := readSSE(t, post); !strings.Contains(res.text(), "first from the old widget") || !res.done {
		t.Fatalf("POST /chat/message: %+v", res.events)
	}
	get := e.do(request{method: "GET", path: "/api/v1/chat/stream?message=" + url.QueryEscape("second one"), host: "shop.example",
		header: sameOrigin, cookie: s.cookie})
	if res := readSSE(t, get); !strings.Contains(res.text(), "second one") || !res.done {
		t.Fatalf("GET /chat/stream: %+v", res.events)
	}
	e.waitMessages(s.ID, 4)
	hist := e.do(request{method: "GET", path: "/api/v1/chat/history/" + s.ID, host: "shop.example", header: sameOrigin, cookie: s.cookie})
	if body := readAll(hist); hist.StatusCode != 200 || strings.Count(body, `"role":"user"`) != 2 {
		t.Fatalf("history: %d %s", hist.StatusCode, body)
	}
}

// A same-origin page whose Origin names no site (a page on the proxy's own origin) finds the
// site from origin_domain, then from page_url; hosts that are not allowed stay refused.
func TestSessionSiteFromOriginDomain(t *testing.T) {
	e := newEnv(t, "sqlite")
	create := func(body map[string]any) (int, string, session) {
		resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: e.url, header: sameOrigin, body: body})
		if resp.StatusCode != 200 {
			return resp.StatusCode, errorCode(t, resp), session{}
		}
		var s session
		decode(t, resp, &s)
		return 200, "", s
	}
	for name, body := range map[string]map[string]any{
		"bare host":     {"origin_domain": "shop.example", "page_url": shopOrigin + "/p/1"},
		"wildcard host": {"origin_domain": "www.shop.example"},
		"origin":        {"origin_domain": shopOrigin},
		"page_url only": {"page_url": "https://www.shop.example/p/2"},
	} {
		if status, code, s := create(body); status != 200 || e.siteOf(s.Token) != "shop" {
			t.Errorf("%s: %d %s", name, status, code)
		}
	}
	for _, d := range []string{"evil.example", "shop.example.evil.com", "evilshop.example", "shop.example:8443", "https://evil.example",
		"shop.example/x", "*.shop.example", "other.example.", "sho p.example"} {
		for _, body := range []map[string]any{{"origin_domain": d}, {"site_id": "shop", "origin_domain": d}} {
			if status, code, _ := create(body); status != 403 || code != "origin_not_allowed" {
				t.Errorf("origin_domain %q (site_id %v): %d %s; want 403 origin_not_allowed", d, body["site_id"], status, code)
			}
		}
	}
}

// DNS rebinding: a page on an attacker's name that resolves to chatproxy is same-origin with it,
// so Sec-Fetch-Site says same-origin; only the Host tells it apart. A same-origin request is
// trusted only on the proxy's own host (CHATPROXY_PUBLIC_URL; without it localhost and IP
// addresses) or a host of the site's allowed origins.
func TestSameOriginHostIsChecked(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.fake.SetScenario(n8ntest.ScenarioEcho)
	s := e.newSession(nil)
	rebound := "rebind.evil.example:8080"
	resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: "http://" + rebound, host: rebound, header: sameOrigin,
		body: map[string]any{"site_id": "shop"}})
	if resp.StatusCode != 403 || errorCode(t, resp) != "origin_not_allowed" {
		t.Fatalf("rebound session create: %d", resp.StatusCode)
	}
	before := e.fake.Count()
	resp = e.do(request{method: "GET", path: "/api/v1/chat/stream?message=rebound", host: rebound, header: sameOrigin, cookie: s.cookie})
	if resp.StatusCode != 403 || e.fake.Count() != before {
		t.Fatalf("rebound legacy GET: %d, upstream calls %d→%d", resp.StatusCode, before, e.fake.Count())
	}
	_, port, _ := strings.Cut(strings.TrimPrefix(e.url, "http://"), ":")
	for _, own := range []string{"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port} {
		resp = e.do(request{method: "POST", path: "/api/v1/session/create", host: own, header: sameOrigin, body: map[string]any{"site_id": "shop"}})
		if resp.StatusCode != 200 {
			t.Errorf("same-origin on %s: %d %s", own, resp.StatusCode, readAll(resp))
		}
	}

	pub := newEnv(t, "sqlite", withEnv("CHATPROXY_PUBLIC_URL", "http://chat.example.test"))
	for host, want := range map[string]int{"chat.example.test": 200, "chat.example.test:80": 200, "CHAT.example.test": 200,
		"chat.example.test:8080": 403, "127.0.0.1:" + port: 403, rebound: 403} {
		resp := pub.do(request{method: "POST", path: "/api/v1/session/create", host: host, header: sameOrigin, body: map[string]any{"site_id": "shop"}})
		if resp.StatusCode != want {
			t.Errorf("CHATPROXY_PUBLIC_URL set, Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
	// Behind a proxy that does not pass Host on, X-Forwarded-Host counts from TRUSTED_PROXIES only.
	proxied := newEnv(t, "sqlite", withEnv("CHATPROXY_PUBLIC_URL", "https://chat.example.test"), withEnv("TRUSTED_PROXIES", "127.0.0.1/32"))
	for _, c := range []struct {
		env     *env
		forward string
		want    int
	}{{proxied, "chat.example.test", 200}, {proxied, "", 403}, {proxied, rebound, 403}, {pub, "chat.example.test", 403}} {
		h := map[string]string{"Sec-Fetch-Site": "same-origin"}
		if c.forward != "" {
			h["X-Forwarded-Host"] = c.forward
		}
		resp := c.env.do(request{method: "POST", path: "/api/v1/session/create", host: "chatproxy:8080", header: h, body: map[string]any{"site_id": "shop"}})
		if resp.StatusCode != c.want {
			t.Errorf("X-Forwarded-Host %q (proxy trusted: %v): %d, want %d", c.forward, c.env == proxied, resp.StatusCode, c.want)
		}
	}
}
