package adminapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/store"
)

func TestLoginMeLogout(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		a := h.account("Ops@Example.com", "admin", "shop")
		c := h.client()
		if r := c.do("GET", "/admin/api/v1/me", ""); r.status != 401 || r.code() != "unauthorized" {
			t.Fatalf("me before login: %d %s", r.status, r.body)
		}
		r := c.login("  OPS@example.com ", password)
		if r.status != 200 || c.csrf == "" || c.cookie == "" {
			t.Fatalf("login: %d %s", r.status, r.body)
		}
		var body struct {
			CSRFToken string `json:"csrf_token"`
			Account   struct {
				ID, Email, Role string
				Sites           []string
				AllSites        bool `json:"all_sites"`
			}
		}
		r.json(t, &body)
		if body.Account.ID != a.ID || body.Account.Email != "ops@example.com" || body.Account.Role != "admin" ||
			len(body.Account.Sites) != 1 || body.Account.AllSites || strings.Contains(string(r.body), "argon2") {
			t.Fatalf("login body: %s", r.body)
		}
		me := c.do("GET", "/admin/api/v1/me", "")
		var meBody struct {
			CSRFToken string `json:"csrf_token"`
			Via       string
			Account   struct{ Email string }
		}
		me.json(t, &meBody)
		if me.status != 200 || meBody.CSRFToken != c.csrf || meBody.Via != "cookie" || meBody.Account.Email != "ops@example.com" {
			t.Fatalf("me: %d %s", me.status, me.body)
		}
		out := c.do("POST", "/admin/api/v1/logout", "")
		if out.status != 204 || out.cookie == nil || out.cookie.MaxAge >= 0 {
			t.Fatalf("logout: %d %+v", out.status, out.cookie)
		}
		if r := c.do("GET", "/admin/api/v1/me", ""); r.status != 401 {
			t.Fatalf("me after logout: %d", r.status)
		}
		if r := h.client().login("ops@example.com", "wrong password!!"); r.status != 401 || r.code() != "invalid_credentials" || r.cookie != nil {
			t.Fatalf("wrong password: %d %s", r.status, r.body)
		}
	})
}

func TestCookieAttributes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tls    bool
		cfg    func(*config.Config)
		secure bool
	}{
		{"http", false, nil, false},
		{"https listener", true, nil, true},
		{"http behind an https console URL", false, func(c *config.Config) { c.AdminURL = "https://console.example.com" }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "sqlite", func(o *harnessOpts) { o.tls, o.cfg = tc.tls, tc.cfg })
			h.account("a@example.com", "viewer")
			c := h.client()
			if tc.cfg != nil {
				c.origin = "https://console.example.com"
			}
			r := c.login("a@example.com", password)
			ck := r.cookie
			if r.status != 200 || ck == nil {
				t.Fatalf("login: %d %s", r.status, r.body)
			}
			raw := r.header.Get("Set-Cookie")
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/admin/" || ck.Secure != tc.secure || len(ck.Value) < 40 {
				t.Fatalf("Set-Cookie: %s", raw)
			}
			if ck.MaxAge != 7*24*3600 {
				t.Fatalf("cookie lifetime %d, want the 7-day absolute limit", ck.MaxAge)
			}
		})
	}
}

func TestSessionFixation(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		h.account("a@example.com", "owner")
		planted := "attacker-chosen-value-attacker-chosen-value-0001"
		c := h.client()
		c.cookie = planted
		r := c.login("a@example.com", password)
		if r.status != 200 || r.cookie == nil || r.cookie.Value == planted {
			t.Fatalf("login with a planted cookie: %d, cookie %+v", r.status, r.cookie)
		}
		attacker := h.client()
		attacker.cookie = planted
		if r := attacker.do("GET", "/admin/api/v1/me", ""); r.status != 401 {
			t.Fatalf("the planted cookie authenticates after the victim's login: %d", r.status)
		}
		first := c.cookie
		c.login("a@example.com", password) // the browser still sends its session
		if c.cookie == first {
			t.Fatal("a second login kept the session id")
		}
		old := h.client()
		old.cookie = first
		if r := old.do("GET", "/admin/api/v1/me", ""); r.status != 401 {
			t.Fatalf("the session replaced by a new login still works: %d", r.status)
		}
		if r := c.do("GET", "/admin/api/v1/me", ""); r.status != 200 {
			t.Fatalf("the new session: %d", r.status)
		}
	})
}

func TestCSRF(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		owner := h.account("o@example.com", "owner")
		c := h.client().mustLogin("o@example.com")
		body := `{"name":"ci"}`
		cases := []struct {
			name string
			hdr  []string
		}{
			{"no token", []string{"X-CSRF-Token", ""}},
			{"wrong token", []string{"X-CSRF-Token", "AAAA" + c.csrf[4:]}},
			{"another session's token", []string{"X-CSRF-Token", h.client().mustLogin("o@example.com").csrf}},
			{"foreign Origin", []string{"Origin", "https://evil.example"}},
			{"no Origin", []string{"Origin", ""}},
			{"null Origin", []string{"Origin", "null"}},
		}
		for _, tc := range cases {
			if r := c.do("POST", "/admin/api/v1/tokens", body, tc.hdr...); r.status != 403 || r.code() != "csrf" {
				t.Errorf("%s: %d %s, want 403 csrf", tc.name, r.status, r.body)
			}
		}
		if toks, _ := h.svc.ListTokens(context.Background(), owner.ID); len(toks) != 0 {
			t.Fatalf("a refused request made %d tokens", len(toks))
		}
		if r := c.do("POST", "/admin/api/v1/tokens", body); r.status != 201 {
			t.Fatalf("with token and Origin: %d %s", r.status, r.body)
		}
		if r := c.do("POST", "/admin/api/v1/logout", "", "X-CSRF-Token", ""); r.status != 403 {
			t.Fatalf("logout without a token: %d (a page could sign the operator out)", r.status)
		}
		// Reads need no token; bearer tokens need neither token nor Origin.
		if r := c.do("GET", "/admin/api/v1/tokens", "", "X-CSRF-Token", ""); r.status != 200 {
			t.Fatalf("GET without a token: %d", r.status)
		}
		raw, _ := h.token(owner, 0)
		if r := h.bearerClient(raw).do("POST", "/admin/api/v1/tokens", body, "Origin", ""); r.status != 201 {
			t.Fatalf("bearer change without CSRF token or Origin: %d %s", r.status, r.body)
		}
		// Sign-in from another site's page is refused too.
		if r := h.client().do("POST", "/admin/api/v1/login", `{"email":"o@example.com","password":"`+password+`"}`, "Origin", "https://evil.example"); r.status != 403 || r.code() != "csrf" {
			t.Fatalf("cross-site login: %d %s", r.status, r.body)
		}
	})
}

func TestAPITokens(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		a := h.account("a@example.com", "admin", "shop")
		c := h.client().mustLogin("a@example.com")
		r := c.do("POST", "/admin/api/v1/tokens", `{"name":"deploy","expires":"1d"}`)
		var created struct {
			ID, Token, Name string
			ExpiresAt       *time.Time `json:"expires_at"`
		}
		r.json(t, &created)
		if r.status != 201 || !strings.HasPrefix(created.Token, "cpa_") || created.ExpiresAt == nil {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		bearer := h.bearerClient(created.Token)
		if r := bearer.do("GET", "/admin/api/v1/me", ""); r.status != 200 || !strings.Contains(string(r.body), `"via":"token"`) {
			t.Fatalf("me with the token: %d %s", r.status, r.body)
		}
		list := c.do("GET", "/admin/api/v1/tokens", "")
		if list.status != 200 || strings.Contains(string(list.body), created.Token) || strings.Contains(string(list.body), "hash") {
			t.Fatalf("list shows the token or its hash: %s", list.body)
		}
		h.clk.add(24 * time.Hour)
		if r := bearer.do("GET", "/admin/api/v1/me", ""); r.status != 401 {
			t.Fatalf("an expired token: %d", r.status)
		}
		c.mustLogin("a@example.com") // a day idle ended the cookie session too
		raw, tok := h.token(a, 0)
		live := h.bearerClient(raw)
		if r := live.do("GET", "/admin/api/v1/me", ""); r.status != 200 {
			t.Fatalf("a live token: %d", r.status)
		}
		if r := c.do("DELETE", "/admin/api/v1/tokens/"+tok.ID, ""); r.status != 200 || !strings.Contains(string(r.body), `"revoked_at":"`) {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		if r := live.do("GET", "/admin/api/v1/me", ""); r.status != 401 {
			t.Fatalf("a revoked token: %d", r.status)
		}
		for _, bad := range []string{"Bearer cpa_nope", "Bearer " + strings.Repeat("x", 50), "Basic abc", "Bearer"} {
			if r := h.client().do("GET", "/admin/api/v1/me", "", "Authorization", bad); r.status != 401 {
				t.Errorf("Authorization %q: %d", bad, r.status)
			}
		}
		// A bad Authorization header is not rescued by a good cookie.
		if r := c.do("GET", "/admin/api/v1/me", "", "Authorization", "Bearer cpa_nope"); r.status != 401 {
			t.Errorf("bad bearer + good cookie: %d", r.status)
		}
		// Disabling the account stops its tokens at once.
		raw2, _ := h.token(a, 0)
		yes := true
		h.account("o@example.com", "owner") // the admin is not the last owner
		if _, _, err := h.svc.UpdateAccount(context.Background(), a.ID, console.AccountPatch{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		if r := h.bearerClient(raw2).do("GET", "/admin/api/v1/me", ""); r.status != 401 {
			t.Fatalf("a disabled account's token: %d", r.status)
		}
		if r := c.do("GET", "/admin/api/v1/me", ""); r.status != 401 {
			t.Fatalf("a disabled account's session: %d", r.status)
		}
	})
}

func TestSetupFlow(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		tok, err := h.svc.EnsureSetupToken(context.Background())
		if err != nil || tok == "" {
			t.Fatal(tok, err)
		}
		c := h.client()
		if r := c.do("POST", "/admin/api/v1/setup", `{"token":"bogus","email":"o@example.com","password":"`+password+`"}`); r.status != 400 || r.code() != "setup_invalid" {
			t.Fatalf("a bogus token: %d %s", r.status, r.body)
		}
		if r := c.do("POST", "/admin/api/v1/setup", `{"token":"`+tok+`","email":"o@example.com","password":"short"}`); r.status != 400 || r.code() != "weak_password" {
			t.Fatalf("a weak password: %d %s", r.status, r.body)
		}
		r := c.do("POST", "/admin/api/v1/setup", `{"token":"`+tok+`","email":"o@example.com","password":"`+password+`"}`)
		if r.status != 200 || r.cookie == nil || !strings.Contains(string(r.body), `"role":"owner"`) || !strings.Contains(string(r.body), "csrf_token") {
			t.Fatalf("setup: %d %s", r.status, r.body)
		}
		c.cookie = r.cookie.Value
		if r := c.do("GET", "/admin/api/v1/accounts", ""); r.status != 200 {
			t.Fatalf("the new owner lists accounts: %d", r.status)
		}
		if r := h.client().do("POST", "/admin/api/v1/setup", `{"token":"`+tok+`","email":"p@example.com","password":"`+password+`"}`); r.status != 400 || r.code() != "setup_invalid" {
			t.Fatalf("the token again: %d %s", r.status, r.body)
		}
		if e := h.entries(store.AuditFilter{Action: "auth.setup"}); len(e) != 3 || e[0].Result != "denied" || e[1].Result != "ok" || e[1].ActorLabel != "o@example.com" {
			t.Fatalf("setup audit entries: %+v", e)
		}
	})
}

func TestBadInput(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.account("o@example.com", "owner")
	c := h.client().mustLogin("o@example.com")
	cases := []struct {
		method, path, body string
		hdr                []string
		status             int
		code               string
	}{
		{"POST", "/admin/api/v1/accounts", `{"email":"x@example.com","password":"` + password + `","role":"viewer","colour":"red"}`, nil, 400, "invalid_request"},
		{"POST", "/admin/api/v1/accounts", `{"email":"x@example.com",`, nil, 400, "invalid_json"},
		{"POST", "/admin/api/v1/accounts", `{"email":5}`, nil, 400, "invalid_request"},
		{"POST", "/admin/api/v1/accounts", `{"email":"not an email","password":"` + password + `","role":"viewer"}`, nil, 400, "invalid_request"},
		{"POST", "/admin/api/v1/accounts", `{"email":"x@example.com","password":"` + password + `","role":"viewer","sites":["Bad Site"]}`, nil, 400, "invalid_request"},
		{"POST", "/admin/api/v1/accounts", `{"email":"o@example.com","password":"` + password + `","role":"viewer"}`, nil, 409, "account_exists"},
		{"POST", "/admin/api/v1/accounts", `{"email":"x@example.com","password":"` + strings.Repeat("a", 70<<10) + `","role":"viewer"}`, nil, 413, "body_too_large"},
		{"POST", "/admin/api/v1/accounts", `{}`, []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type"},
		{"GET", "/admin/api/v1/accounts/nope", "", nil, 404, "not_found"},
		{"GET", "/admin/api/v1/nothing", "", nil, 404, "not_found"},
		{"GET", "/admin/api/v1/audit?limit=0", "", nil, 400, "invalid_limit"},
		{"GET", "/admin/api/v1/audit?cursor=zzz", "", nil, 400, "invalid_cursor"},
		{"GET", "/admin/api/v1/audit?action=site.hack", "", nil, 400, "invalid_request"},
		{"GET", "/admin/api/v1/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "", nil, 400, "invalid_range"},
		{"POST", "/admin/api/v1/tokens", `{"name":""}`, nil, 400, "invalid_request"},
		{"POST", "/admin/api/v1/tokens", `{"name":"x","expires":"1y"}`, nil, 400, "invalid_request"},
	}
	for _, tc := range cases {
		r := c.do(tc.method, tc.path, tc.body, tc.hdr...)
		if r.status != tc.status || r.code() != tc.code {
			t.Errorf("%s %s %.60s: %d %s, want %d %s", tc.method, tc.path, tc.body, r.status, r.body, tc.status, tc.code)
		}
	}
	if all, _ := h.svc.ListAccounts(context.Background()); len(all) != 1 {
		t.Fatalf("bad requests stored %d accounts", len(all)-1)
	}
	if r := c.do("POST", "/admin/api/v1/accounts", `{"email":"x@example.com","password":"`+password+`","role":"viewer","colour":"red"}`); !strings.Contains(string(r.body), "colour") {
		t.Fatalf("the unknown field is not named: %s", r.body)
	}
}

func TestPasswordChangeOverHTTP(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.account("a@example.com", "viewer")
	c := h.client().mustLogin("a@example.com")
	other := h.client().mustLogin("a@example.com")
	if r := c.do("POST", "/admin/api/v1/me/password", `{"current_password":"not the password","new_password":"a new long password"}`); r.status != 400 || r.code() != "wrong_password" {
		t.Fatalf("wrong current password: %d %s", r.status, r.body)
	}
	r := c.do("POST", "/admin/api/v1/me/password", `{"current_password":"`+password+`","new_password":"a new long password"}`)
	if r.status != 200 || r.cookie == nil || r.cookie.Value == c.cookie {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	if r := other.do("GET", "/admin/api/v1/me", ""); r.status != 401 {
		t.Fatalf("another session survived the password change: %d", r.status)
	}
	fresh := h.client()
	fresh.cookie = r.cookie.Value
	if r := fresh.do("GET", "/admin/api/v1/me", ""); r.status != 200 {
		t.Fatalf("the session given with the change: %d", r.status)
	}
	if r := h.client().login("a@example.com", "a new long password"); r.status != 200 {
		t.Fatalf("login with the new password: %d", r.status)
	}
}

func TestTOTPOverHTTP(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		a := h.account("m@example.com", "admin")
		c := h.client().mustLogin("m@example.com")
		r := c.do("POST", "/admin/api/v1/me/totp", "")
		if r.status != 200 || !strings.Contains(string(r.body), "otpauth://totp/") {
			t.Fatalf("start: %d %s", r.status, r.body)
		}
		if r := c.do("POST", "/admin/api/v1/me/totp/confirm", `{"code":"000000"}`); r.status != 400 || r.code() != "invalid_totp" {
			t.Fatalf("confirm a wrong code: %d %s", r.status, r.body)
		}
		code, _ := h.svc.CurrentTOTPForTest(context.Background(), a.ID, 0)
		if r := c.do("POST", "/admin/api/v1/me/totp/confirm", `{"code":"`+code+`"}`); r.status != 200 || !strings.Contains(string(r.body), `"totp_enabled":true`) {
			t.Fatalf("confirm: %d %s", r.status, r.body)
		}
		login := `{"email":"m@example.com","password":"` + password + `"`
		if r := h.client().do("POST", "/admin/api/v1/login", login+`}`); r.status != 401 || r.code() != "totp_required" || r.cookie != nil {
			t.Fatalf("login without code: %d %s", r.status, r.body)
		}
		if r := h.client().do("POST", "/admin/api/v1/login", login+`,"totp":"`+code+`"}`); r.status != 401 || r.code() != "invalid_credentials" {
			t.Fatalf("login with the used code: %d %s", r.status, r.body)
		}
		h.clk.add(30 * time.Second)
		code, _ = h.svc.CurrentTOTPForTest(context.Background(), a.ID, 0)
		if r := h.client().do("POST", "/admin/api/v1/login", login+`,"totp":"`+code+`"}`); r.status != 200 {
			t.Fatalf("login with a fresh code: %d %s", r.status, r.body)
		}
		h.clk.add(30 * time.Second)
		code, _ = h.svc.CurrentTOTPForTest(context.Background(), a.ID, 0)
		if r := c.do("DELETE", "/admin/api/v1/me/totp", `{"code":"`+code+`"}`); r.status != 200 || !strings.Contains(string(r.body), `"totp_enabled":false`) {
			t.Fatalf("disable: %d %s", r.status, r.body)
		}
		got := h.entries(store.AuditFilter{ActorID: a.ID})
		var actions []string
		for _, e := range got {
			actions = append(actions, e.Action+"/"+e.Result)
		}
		want := "auth.totp_disabled/ok auth.login/ok auth.login_failed/denied auth.login_failed/denied auth.totp_enabled/ok auth.totp_enabled/denied auth.login/ok"
		if strings.Join(actions, " ") != want {
			t.Fatalf("audit trail:\n got %s\nwant %s", strings.Join(actions, " "), want)
		}
	})
}
