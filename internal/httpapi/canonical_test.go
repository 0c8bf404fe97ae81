package httpapi_test

import "testing"

// Browsers send one canonical Origin. Another spelling is refused, so it is never echoed back.
func TestNonCanonicalOriginRefused(t *testing.T) {
	e := newEnv(t, "sqlite")
	s := e.newSession(nil)
	for _, o := range []string{"HTTPS://SHOP.EXAMPLE", "https://Shop.Example", "https://shop.example/", "https://shop.example:443", "https://WWW.shop.example"} {
		resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: o, body: map[string]any{"site_id": "shop"}})
		if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("session create from %q: %d, ACAO %q", o, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
		pre := e.do(request{method: "OPTIONS", path: "/api/v1/chat/message", origin: o, header: map[string]string{"Access-Control-Request-Method": "POST"}})
		if pre.StatusCode != 403 || pre.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from %q: %d, ACAO %q", o, pre.StatusCode, pre.Header.Get("Access-Control-Allow-Origin"))
		}
		val := e.do(request{method: "GET", path: "/api/v1/session/validate", origin: o, token: s.Token})
		if val.StatusCode != 403 || val.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("validate from %q: %d, ACAO %q", o, val.StatusCode, val.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}
