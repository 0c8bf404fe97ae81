package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSessionLifecycle(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: shopOrigin,
				body: map[string]any{"site_id": "shop", "page_url": shopOrigin + "/p/1", "fingerprint": "fp-1"}})
			if resp.StatusCode != 200 {
				t.Fatalf("create: %d %s", resp.StatusCode, readAll(resp))
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != shopOrigin {
				t.Fatalf("ACAO = %q", got)
			}
			var s session
			decode(t, resp, &s)
			if s.ID == "" || s.Token == "" || s.VisitorID == "" || s.Returning || time.Until(s.ExpiresAt) < time.Hour {
				t.Fatalf("session = %+v", s)
			}
			var cookie *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == "chat_session_id" {
					cookie = c
				}
			}
			if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.Value == s.Token {
				t.Fatalf("cookie = %+v (plain HTTP wants HttpOnly, SameSite=Lax, a value other than the bearer token)", cookie)
			}

			// validate with the bearer token and with the cookie
			for name, r := range map[string]request{
				"bearer": {method: "GET", path: "/api/v1/session/validate", origin: shopOrigin, token: s.Token},
				"cookie": {method: "GET", path: "/api/v1/session/validate", origin: shopOrigin, cookie: cookie.Value},
			} {
				resp := e.do(r)
				var v struct {
					Valid     bool   `json:"valid"`
					SessionID string `json:"session_id"`
					SiteID    string `json:"site_id"`
				}
				decode(t, resp, &v)
				if resp.StatusCode != 200 || !v.Valid || v.SessionID != s.ID || v.SiteID != "shop" {
					t.Fatalf("%s validate: %d %+v", name, resp.StatusCode, v)
				}
			}
			// the cookie value is not accepted as a bearer token, nor the token as a cookie
			if resp := e.do(request{method: "GET", path: "/api/v1/session/validate", origin: shopOrigin, token: cookie.Value}); resp.StatusCode != 401 {
				t.Fatalf("cookie as bearer: %d", resp.StatusCode)
			}
			if resp := e.do(request{method: "GET", path: "/api/v1/session/validate", origin: shopOrigin, cookie: s.Token}); resp.StatusCode != 401 {
				t.Fatalf("bearer as cookie: %d", resp.StatusCode)
			}

			// the same visitor (or the same fingerprint) is returning on its next session
			again := e.newSession(map[string]any{"site_id": "shop", "visitor_id": s.VisitorID})
			if !again.Returning || again.VisitorID != s.VisitorID || again.ID == s.ID {
				t.Fatalf("returning visitor: %+v", again)
			}
			// recognised by fingerprint (its stored id lost), it gets back the id it had
			byFingerprint := e.newSession(map[string]any{"site_id": "shop", "fingerprint": "fp-1"})
			if !byFingerprint.Returning || byFingerprint.VisitorID != s.VisitorID {
				t.Fatalf("fingerprint returning: visitor %s returning=%v; want visitor %s", byFingerprint.VisitorID, byFingerprint.Returning, s.VisitorID)
			}
			fresh := e.newSession(map[string]any{"site_id": "shop", "fingerprint": "fp-2"})
			if fresh.Returning || fresh.VisitorID == s.VisitorID {
				t.Fatalf("another fingerprint: %+v", fresh)
			}
			// a visitor id that is not one of ours is replaced
			odd := e.newSession(map[string]any{"site_id": "shop", "visitor_id": "<script>"})
			if odd.VisitorID == "<script>" || odd.Returning {
				t.Fatalf("bad visitor id kept: %+v", odd)
			}
		})
	}
}

// A visitor id of another site's visitor (a visitor id copied between sites, or guessed) is a
// new visitor here: it was a 500 with an error log.
func TestSessionForeignVisitorIsNew(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"}})
			var theirs session
			decode(t, resp, &theirs)
			resp = e.do(request{method: "POST", path: "/api/v1/session/create", origin: shopOrigin,
				body: map[string]any{"site_id": "shop", "visitor_id": theirs.VisitorID}})
			if resp.StatusCode != 200 {
				t.Fatalf("session with another site's visitor id: %d %s", resp.StatusCode, readAll(resp))
			}
			var ours session
			decode(t, resp, &ours)
			if ours.VisitorID == theirs.VisitorID || ours.VisitorID == "" || ours.Returning {
				t.Fatalf("session = %+v; want a new visitor, not %s", ours, theirs.VisitorID)
			}
			if again := e.newSession(map[string]any{"site_id": "shop", "visitor_id": ours.VisitorID}); again.VisitorID != ours.VisitorID || !again.Returning {
				t.Fatalf("the new visitor's next session: %+v", again)
			}
		})
	}
}

func TestSessionSiteFromOrigin(t *testing.T) {
	e := newEnv(t, "sqlite")
	resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: "https://www.shop.example", body: map[string]any{}})
	if resp.StatusCode != 200 {
		t.Fatalf("wildcard origin: %d %s", resp.StatusCode, readAll(resp))
	}
	var s session
	decode(t, resp, &s)
	v := e.do(request{method: "GET", path: "/api/v1/session/validate", origin: shopOrigin, token: s.Token})
	if !strings.Contains(readAll(v), `"site_id":"shop"`) {
		t.Fatal("session not made for the site of the Origin")
	}
}

func TestSessionRefusals(t *testing.T) {
	e := newEnv(t, "sqlite")
	cases := []struct {
		name   string
		r      request
		status int
		code   string
	}{
		{"origin not allowed", request{origin: "https://evil.example", body: map[string]any{"site_id": "shop"}}, 403, "origin_not_allowed"},
		{"other site's origin", request{origin: otherOrigin, body: map[string]any{"site_id": "shop"}}, 403, "origin_not_allowed"},
		{"suffix trick", request{origin: "https://shop.example.evil.com", body: map[string]any{"site_id": "shop"}}, 403, "origin_not_allowed"},
		{"other scheme", request{origin: "http://shop.example", body: map[string]any{"site_id": "shop"}}, 403, "origin_not_allowed"},
		{"other port", request{origin: "https://shop.example:8443", body: map[string]any{"site_id": "shop"}}, 403, "origin_not_allowed"},
		{"null origin", request{origin: "null", body: map[string]any{"site_id": "shop"}}, 403, "origin_not_allowed"},
		{"missing origin", request{body: map[string]any{"site_id": "shop"}}, 403, "origin_not_allowed"},
		{"cross-site fetch without origin", request{body: map[string]any{"site_id": "shop"}, header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, 403, "origin_not_allowed"},
		{"unknown site", request{origin: shopOrigin, body: map[string]any{"site_id": "nope"}}, 404, "site_not_found"},
		{"unknown origin, no site", request{origin: "https://evil.example", body: map[string]any{}}, 403, "origin_not_allowed"},
		{"invalid json", request{origin: shopOrigin, body: `{"site_id":`}, 400, "invalid_json"},
		{"wrong type", request{origin: shopOrigin, body: `{"site_id": 5}`}, 400, "invalid_request"},
		{"too large", request{origin: shopOrigin, body: `{"site_id":"shop","fingerprint":"` + strings.Repeat("a", 17<<10) + `"}`}, 413, "body_too_large"},
		{"honeypot", request{origin: shopOrigin, body: map[string]any{"site_id": "shop", "hp": "I am a bot"}}, 400, "bot_detected"},
		{"form post", request{origin: shopOrigin, body: `site_id=shop`, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupported_media_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.r.method, c.r.path = "POST", "/api/v1/session/create"
			resp := e.do(c.r)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, readAll(resp))
			}
			if code := errorCode(t, resp); code != c.code {
				t.Fatalf("code %q, want %q", code, c.code)
			}
			if acao := resp.Header.Get("Access-Control-Allow-Origin"); acao != "" && acao != shopOrigin && acao != otherOrigin {
				t.Fatalf("echoed an origin no site allows: %q", acao)
			}
			if len(resp.Cookies()) != 0 {
				t.Fatal("a refused request set a cookie")
			}
		})
	}
}

func TestSessionSameOriginWidget(t *testing.T) {
	e := newEnv(t, "sqlite")
	// The widget iframe runs on the proxy's own origin: the browser marks it same-origin.
	ok := e.do(request{method: "POST", path: "/api/v1/session/create", origin: e.url,
		header: map[string]string{"Sec-Fetch-Site": "same-origin"}, body: map[string]any{"site_id": "shop", "origin_domain": shopOrigin}})
	if ok.StatusCode != 200 {
		t.Fatalf("same-origin widget: %d %s", ok.StatusCode, readAll(ok))
	}
	bad := e.do(request{method: "POST", path: "/api/v1/session/create", origin: e.url,
		header: map[string]string{"Sec-Fetch-Site": "same-origin"}, body: map[string]any{"site_id": "shop", "origin_domain": "https://evil.example"}})
	if bad.StatusCode != 403 {
		t.Fatalf("widget embedded on a foreign host page: %d", bad.StatusCode)
	}
}

func TestValidateRefusesBadTokens(t *testing.T) {
	e := newEnv(t, "sqlite")
	s := e.newSession(nil)
	forged := s.Token[:len(s.Token)-4] + "AAAA"
	for name, tok := range map[string]string{"missing": "", "garbage": "abc.def.ghi", "forged": forged} {
		resp := e.do(request{method: "GET", path: "/api/v1/session/validate", origin: shopOrigin, token: tok})
		if resp.StatusCode != 401 || errorCode(t, resp) != "unauthorized" {
			t.Fatalf("%s token: %d", name, resp.StatusCode)
		}
	}
	// A token of site "shop" used from site "other"'s origin is refused.
	resp := e.do(request{method: "GET", path: "/api/v1/session/validate", origin: otherOrigin, token: s.Token})
	if resp.StatusCode != 403 || errorCode(t, resp) != "site_mismatch" {
		t.Fatalf("cross-site token: %d", resp.StatusCode)
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t, "sqlite", withEnv("CHATPROXY_SESSION_IDLE", "1s"), withEnv("CHATPROXY_SESSION_MAX_AGE", "2s"))
	s := e.newSession(nil)
	time.Sleep(2100 * time.Millisecond)
	resp := e.do(request{method: "GET", path: "/api/v1/session/validate", origin: shopOrigin, token: s.Token})
	if resp.StatusCode != 401 {
		t.Fatalf("expired session accepted: %d", resp.StatusCode)
	}
	if code := errorCode(t, resp); code != "session_expired" {
		t.Fatalf("code %q", code)
	}
}

func TestCORSPreflight(t *testing.T) {
	e := newEnv(t, "sqlite")
	resp := e.do(request{method: "OPTIONS", path: "/api/v1/chat/message", origin: shopOrigin,
		header: map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}})
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != shopOrigin ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") ||
		resp.Header.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	bad := e.do(request{method: "OPTIONS", path: "/api/v1/chat/message", origin: "https://evil.example",
		header: map[string]string{"Access-Control-Request-Method": "POST"}})
	if bad.StatusCode != 403 || bad.Header.Get("Access-Control-Allow-Origin") != "" || bad.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("evil preflight: %d %v", bad.StatusCode, bad.Header)
	}
}
