package httpapi_test

import (
	"strings"
	"testing"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
)

// TestBadInputIsRefusedAndNothingStoredOrForwarded covers every bad input of the chat endpoint:
// each gets its status and JSON error code, and neither the store nor n8n sees anything.
func TestBadInputIsRefusedAndNothingStoredOrForwarded(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine, withOtherSiteYAML("    limits: {max_message_length: 50}\n    abuse: {min_first_message_delay_ms: -1, blocklist: [casino]}\n"))
			e.fake.SetScenario(n8ntest.ScenarioStream)
			s := e.newSession(nil)
			resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"}})
			var small session
			decode(t, resp, &small)
			forged := s.Token[:len(s.Token)-4] + "AAAA"
			cases := []struct {
				name   string
				r      request
				status int
				code   string
			}{
				{"body over 16 KiB", request{token: s.Token, body: `{"message":"` + strings.Repeat("a", 17<<10) + `"}`}, 413, "body_too_large"},
				{"invalid json", request{token: s.Token, body: `{"message": "hi"`}, 400, "invalid_json"},
				{"json array", request{token: s.Token, body: `["hi"]`}, 400, "invalid_request"},
				{"message not a string", request{token: s.Token, body: `{"message": 42}`}, 400, "invalid_request"},
				{"empty message", request{token: s.Token, body: map[string]any{"message": ""}}, 400, "empty_message"},
				{"missing message", request{token: s.Token, body: map[string]any{}}, 400, "empty_message"},
				{"whitespace message", request{token: s.Token, body: map[string]any{"message": " \n\t \u00a0\u2003 "}}, 400, "empty_message"},
				{"control characters only", request{token: s.Token, body: map[string]any{"message": "\u0000\u0007\u202e"}}, 400, "empty_message"},
				{"message over the site's limit", request{token: small.Token, origin: otherOrigin, body: map[string]any{"message": strings.Repeat("я", 51)}}, 400, "message_too_long"},
				{"message over the default limit", request{token: s.Token, body: map[string]any{"message": strings.Repeat("x", 4001)}}, 400, "message_too_long"},
				{"invalid utf-8", request{token: s.Token, body: []byte("{\"message\":\"hi \xff\xfe\"}")}, 400, "invalid_utf8"},
				{"bad client message id", request{token: s.Token, body: map[string]any{"message": "hi", "client_message_id": "has space"}}, 400, "invalid_client_message_id"},
				{"missing token", request{body: map[string]any{"message": "hi"}}, 401, "unauthorized"},
				{"forged token", request{token: forged, body: map[string]any{"message": "hi"}}, 401, "unauthorized"},
				{"garbage token", request{token: "not-a-jwt", body: map[string]any{"message": "hi"}}, 401, "unauthorized"},
				{"origin not allowed", request{token: s.Token, origin: "https://evil.example", body: map[string]any{"message": "hi"}}, 403, "origin_not_allowed"},
				{"null origin", request{token: s.Token, origin: "null", body: map[string]any{"message": "hi"}}, 403, "origin_not_allowed"},
				{"token of another site", request{token: s.Token, origin: otherOrigin, body: map[string]any{"message": "hi"}}, 403, "site_mismatch"},
				{"honeypot", request{token: s.Token, body: map[string]any{"message": "hi", "hp": "x"}}, 400, "bot_detected"},
				{"text/plain body", request{token: s.Token, body: `{"message":"hi"}`, header: map[string]string{"Content-Type": "text/plain"}}, 415, "unsupported_media_type"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					c.r.method, c.r.path = "POST", "/api/v1/chat/message"
					if c.r.origin == "" {
						c.r.origin = shopOrigin
					}
					resp := e.do(c.r)
					if resp.StatusCode != c.status {
						t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, readAll(resp))
					}
					if code := errorCode(t, resp); code != c.code {
						t.Fatalf("code %q, want %q", code, c.code)
					}
				})
			}
			// blocklist (other site only has it): refused before storing
			resp = e.do(request{method: "POST", path: "/api/v1/chat/message", origin: otherOrigin, token: small.Token, body: map[string]any{"message": "best CASINO bonus"}})
			if resp.StatusCode != 400 || errorCode(t, resp) != "blocked_content" {
				t.Fatalf("blocklist: %d", resp.StatusCode)
			}
			if n := len(e.messages(s.ID)) + len(e.messages(small.ID)); n != 0 || e.fake.Count() != 0 {
				t.Fatalf("refused input left %d stored messages and %d upstream calls", n, e.fake.Count())
			}
			// unknown site config and unknown routes
			if resp := e.do(request{method: "GET", path: "/api/v1/sites/nope/config"}); resp.StatusCode != 404 || errorCode(t, resp) != "site_not_found" {
				t.Fatalf("unknown site config: %d", resp.StatusCode)
			}
			if resp := e.do(request{method: "GET", path: "/api/v1/nothing"}); resp.StatusCode != 404 || errorCode(t, resp) != "not_found" {
				t.Fatalf("unknown route: %d", resp.StatusCode)
			}
		})
	}
}

func TestSiteConfigIsPublicAndCacheable(t *testing.T) {
	e := newEnv(t, "sqlite")
	resp := e.do(request{method: "GET", path: "/api/v1/sites/shop/config"})
	body := readAll(resp)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || etag == "" || !strings.Contains(body, `"site_id":"shop"`) {
		t.Fatalf("config: %d %s", resp.StatusCode, body)
	}
	for _, secret := range []string{e.fake.URL, "webhook", n8nSecret, "signing", "secret"} {
		if strings.Contains(body, secret) {
			t.Fatalf("public config leaks %q: %s", secret, body)
		}
	}
	again := e.do(request{method: "GET", path: "/api/v1/sites/shop/config", header: map[string]string{"If-None-Match": etag}})
	if again.StatusCode != 304 {
		t.Fatalf("If-None-Match: %d", again.StatusCode)
	}
}

// TestResumeBadParameters: a malformed message_id or Last-Event-ID is the client's mistake (400),
// never a storage failure. On PostgreSQL, ?message_id=%FF used to reach the database and answer
// 503 storage_unavailable, which raised a false "database down" alert.
func TestResumeBadParameters(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			s := e.newSession(nil)
			for _, c := range []struct {
				name, path, lastEventID, code string
			}{
				{"invalid utf-8 id", "/api/v1/chat/stream?message_id=%FF", "", "invalid_message_id"},
				{"not an id", "/api/v1/chat/stream?message_id=abc", "", "invalid_message_id"},
				{"bad position", "/api/v1/chat/stream?message_id=0193a5a0-0000-7000-8000-000000000000", "x-y", "invalid_last_event_id"},
			} {
				t.Run(c.name, func(t *testing.T) {
					r := request{method: "GET", path: c.path, token: s.Token, origin: shopOrigin}
					if c.lastEventID != "" {
						r.header = map[string]string{"Last-Event-ID": c.lastEventID}
					}
					resp := e.do(r)
					if resp.StatusCode != 400 {
						t.Fatalf("status %d, want 400: %s", resp.StatusCode, readAll(resp))
					}
					if code := errorCode(t, resp); code != c.code {
						t.Fatalf("code %q, want %q", code, c.code)
					}
				})
			}
		})
	}
}

// The widget holds a first message until the site's minimum delay after session creation has
// passed (a quick visitor is not a bot), so the public config names the delay; a site that
// turns the rule off publishes 0.
func TestSiteConfigPublishesFirstMessageDelay(t *testing.T) {
	e := newEnv(t, "sqlite", withOtherSiteYAML("    abuse: {min_first_message_delay_ms: 1500}\n"))
	for site, want := range map[string]float64{"other": 1500, "shop": 0} {
		var cfg map[string]any
		decode(t, e.do(request{method: "GET", path: "/api/v1/sites/" + site + "/config"}), &cfg)
		if got, ok := cfg["min_first_message_delay_ms"].(float64); !ok || got != want {
			t.Errorf("site %s: min_first_message_delay_ms = %v, want %v", site, cfg["min_first_message_delay_ms"], want)
		}
	}
}
