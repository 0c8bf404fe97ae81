package adminapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chatproxy/chatproxy/internal/store"
)

// The role matrix: every console route × every kind of caller, with the exact status each
// gets. Callers: owner; admin scoped to site "shop"; admin with every site; viewer scoped to
// "shop". Site "shop" is in the scoped callers' scope and "blog" is not, so a route about a
// site gets one row for each (…/sites/shop and …/sites/blog). Rows that must not change
// anything send a body that fails validation after authorization (400), so a 400 proves the
// caller got past the role check and a 403 that it did not.
//
// Placeholders in paths and bodies: {owner} {viewer} (account ids), {own_token} (a fresh
// token of the caller), {owner_token} (a fresh token of the owner), {actor} (the caller's kind).
//
// Add the rows of new routes here: TestRoleMatrixCoversEveryRoute fails for a route without one.

var actors = []string{"owner", "admin", "admin_all", "viewer"}

type matrixRow struct {
	route  string // the registered pattern this row exercises
	method string
	path   string
	body   string
	want   [4]int // owner, admin, admin_all, viewer
}

var matrix = []matrixRow{
	{"POST /admin/api/v1/setup", "POST", "/admin/api/v1/setup", `{"token":"bogus","email":"x@example.com","password":"correct horse battery"}`, [4]int{400, 400, 400, 400}},
	{"POST /admin/api/v1/login", "POST", "/admin/api/v1/login", `{"email":"nobody-{actor}@example.com","password":"wrong password!"}`, [4]int{401, 401, 401, 401}},
	{"GET /admin/api/v1/openapi.json", "GET", "/admin/api/v1/openapi.json", "", [4]int{200, 200, 200, 200}},
	{"GET /admin/api/v1/me", "GET", "/admin/api/v1/me", "", [4]int{200, 200, 200, 200}},
	{"POST /admin/api/v1/me/password", "POST", "/admin/api/v1/me/password", `{"current_password":"not it at all","new_password":"a long new password"}`, [4]int{400, 400, 400, 400}},
	{"POST /admin/api/v1/me/totp", "POST", "/admin/api/v1/me/totp", "", [4]int{200, 200, 200, 200}},
	{"POST /admin/api/v1/me/totp/confirm", "POST", "/admin/api/v1/me/totp/confirm", `{"code":"00000"}`, [4]int{400, 400, 400, 400}},
	{"DELETE /admin/api/v1/me/totp", "DELETE", "/admin/api/v1/me/totp", `{"code":"000000"}`, [4]int{409, 409, 409, 409}},
	{"GET /admin/api/v1/accounts", "GET", "/admin/api/v1/accounts", "", [4]int{200, 403, 403, 403}},
	{"POST /admin/api/v1/accounts", "POST", "/admin/api/v1/accounts", `{"email":"new@example.com","password":"correct horse battery","role":"bogus"}`, [4]int{400, 403, 403, 403}},
	{"GET /admin/api/v1/accounts/{id}", "GET", "/admin/api/v1/accounts/{viewer}", "", [4]int{200, 403, 403, 403}},
	{"PATCH /admin/api/v1/accounts/{id}", "PATCH", "/admin/api/v1/accounts/{viewer}", `{"role":"bogus"}`, [4]int{400, 403, 403, 403}},
	{"GET /admin/api/v1/tokens", "GET", "/admin/api/v1/tokens", "", [4]int{200, 200, 200, 200}},
	{"GET /admin/api/v1/tokens", "GET", "/admin/api/v1/tokens?account_id={owner}", "", [4]int{200, 403, 403, 403}},
	{"POST /admin/api/v1/tokens", "POST", "/admin/api/v1/tokens", `{"name":"matrix"}`, [4]int{201, 201, 201, 201}},
	{"POST /admin/api/v1/tokens", "POST", "/admin/api/v1/tokens", `{"name":"matrix","account_id":"{viewer}"}`, [4]int{201, 403, 403, 201}},
	{"DELETE /admin/api/v1/tokens/{id}", "DELETE", "/admin/api/v1/tokens/{own_token}", "", [4]int{200, 200, 200, 200}},
	{"DELETE /admin/api/v1/tokens/{id}", "DELETE", "/admin/api/v1/tokens/{owner_token}", "", [4]int{200, 404, 404, 404}},
	{"GET /admin/api/v1/audit", "GET", "/admin/api/v1/audit", "", [4]int{200, 200, 200, 403}},
	{"GET /admin/api/v1/audit", "GET", "/admin/api/v1/audit?site=blog", "", [4]int{200, 200, 200, 403}},
	{"GET /admin/api/v1/sites", "GET", "/admin/api/v1/sites", "", [4]int{200, 200, 200, 200}},
	{"POST /admin/api/v1/sites", "POST", "/admin/api/v1/sites", `{"id":"new-{actor}","allowed_origins":["not an origin"],"n8n_webhook_url":"https://n8n.example.com/webhook/x"}`, [4]int{400, 403, 400, 403}},
	{"GET /admin/api/v1/sites/{id}", "GET", "/admin/api/v1/sites/shop", "", [4]int{200, 200, 200, 200}},
	{"GET /admin/api/v1/sites/{id}", "GET", "/admin/api/v1/sites/blog", "", [4]int{200, 403, 200, 403}},
	{"PATCH /admin/api/v1/sites/{id}", "PATCH", "/admin/api/v1/sites/shop", `{"history_depth":1000}`, [4]int{400, 400, 400, 403}},
	{"PATCH /admin/api/v1/sites/{id}", "PATCH", "/admin/api/v1/sites/blog", `{"history_depth":1000}`, [4]int{400, 403, 400, 403}},
	// Deleting needs the site disabled first (409 site_enabled): past the role and scope checks.
	{"DELETE /admin/api/v1/sites/{id}", "DELETE", "/admin/api/v1/sites/shop", "", [4]int{409, 403, 403, 403}},
	{"DELETE /admin/api/v1/sites/{id}", "DELETE", "/admin/api/v1/sites/blog", "", [4]int{409, 403, 403, 403}},
	{"POST /admin/api/v1/sites/{id}/rotate-secret", "POST", "/admin/api/v1/sites/shop/rotate-secret", `{"algorithm":"RS256"}`, [4]int{400, 400, 400, 403}},
	{"POST /admin/api/v1/sites/{id}/rotate-secret", "POST", "/admin/api/v1/sites/blog/rotate-secret", `{"algorithm":"RS256"}`, [4]int{400, 403, 400, 403}},
	{"GET /admin/api/v1/analytics/summary", "GET", "/admin/api/v1/analytics/summary?site=shop", "", [4]int{200, 200, 200, 200}},
	{"GET /admin/api/v1/analytics/summary", "GET", "/admin/api/v1/analytics/summary?site=blog", "", [4]int{200, 403, 200, 403}},
	{"GET /admin/api/v1/analytics/timeseries", "GET", "/admin/api/v1/analytics/timeseries?site=shop&metric=messages&interval=day", "", [4]int{200, 200, 200, 200}},
	{"GET /admin/api/v1/analytics/timeseries", "GET", "/admin/api/v1/analytics/timeseries?site=blog&metric=messages", "", [4]int{200, 403, 200, 403}},
	{"GET /admin/api/v1/analytics/breakdown", "GET", "/admin/api/v1/analytics/breakdown?site=shop&by=country", "", [4]int{200, 200, 200, 200}},
	{"GET /admin/api/v1/analytics/breakdown", "GET", "/admin/api/v1/analytics/breakdown?site=blog&by=page", "", [4]int{200, 403, 200, 403}},
	// Conversations: {shop_conv} and {blog_conv} exist for the whole run; {new_shop_conv} and
	// {new_blog_conv} are made for each request (a delete that succeeds removes its own).
	// Out of scope, a conversation answers 404 as if it did not exist.
	{"GET /admin/api/v1/conversations", "GET", "/admin/api/v1/conversations", "", [4]int{200, 200, 200, 200}},
	{"GET /admin/api/v1/conversations", "GET", "/admin/api/v1/conversations?site=shop", "", [4]int{200, 200, 200, 200}},
	{"GET /admin/api/v1/conversations", "GET", "/admin/api/v1/conversations?site=blog", "", [4]int{200, 403, 200, 403}},
	{"GET /admin/api/v1/conversations/export", "GET", "/admin/api/v1/conversations/export?format=jsonl&site=shop", "", [4]int{200, 200, 200, 403}},
	{"GET /admin/api/v1/conversations/export", "GET", "/admin/api/v1/conversations/export?format=csv&site=blog", "", [4]int{200, 403, 200, 403}},
	{"GET /admin/api/v1/conversations/{session_id}", "GET", "/admin/api/v1/conversations/{shop_conv}", "", [4]int{200, 200, 200, 200}},
	{"GET /admin/api/v1/conversations/{session_id}", "GET", "/admin/api/v1/conversations/{blog_conv}", "", [4]int{200, 404, 200, 404}},
	{"DELETE /admin/api/v1/conversations/{session_id}", "DELETE", "/admin/api/v1/conversations/{new_shop_conv}", "", [4]int{204, 204, 204, 403}},
	{"DELETE /admin/api/v1/conversations/{session_id}", "DELETE", "/admin/api/v1/conversations/{new_blog_conv}", "", [4]int{204, 404, 204, 403}},
	// Data subject requests: without a subject they stop at 400 after the role check.
	{"GET /admin/api/v1/subjects", "GET", "/admin/api/v1/subjects", "", [4]int{400, 400, 400, 400}},
	{"GET /admin/api/v1/subjects/export", "GET", "/admin/api/v1/subjects/export", "", [4]int{400, 400, 400, 403}},
	{"DELETE /admin/api/v1/subjects", "DELETE", "/admin/api/v1/subjects", "", [4]int{400, 400, 400, 403}},
	// Last: it ends the caller's cookie session.
	{"POST /admin/api/v1/logout", "POST", "/admin/api/v1/logout", "", [4]int{204, 204, 204, 204}},
}

// matrixFixture has one account per kind of caller.
type matrixFixture struct {
	h        *harness
	accounts map[string]store.Account
	convs    map[string]string // {shop_conv}, {blog_conv}
}

func newMatrixFixture(t *testing.T, engine string) *matrixFixture {
	h := newHarness(t, engine)
	f := &matrixFixture{h: h, accounts: map[string]store.Account{
		"owner":     h.account("owner@example.com", "owner"),
		"admin":     h.account("admin@example.com", "admin", "shop"),
		"admin_all": h.account("all@example.com", "admin"),
		"viewer":    h.account("viewer@example.com", "viewer", "shop"),
	}}
	h.consoleSite("shop")
	h.consoleSite("blog")
	f.convs = map[string]string{"{shop_conv}": h.conversation("shop", "hi").ID, "{blog_conv}": h.conversation("blog", "hi").ID}
	return f
}

// expand fills a row's placeholders for actor.
func (f *matrixFixture) expand(s, actor string) string {
	if strings.Contains(s, "{own_token}") {
		_, tok := f.h.token(f.accounts[actor], 0)
		s = strings.ReplaceAll(s, "{own_token}", tok.ID)
	}
	if strings.Contains(s, "{owner_token}") {
		_, tok := f.h.token(f.accounts["owner"], 0)
		s = strings.ReplaceAll(s, "{owner_token}", tok.ID)
	}
	for _, id := range []string{"shop", "blog"} {
		if ph := "{new_" + id + "_conv}"; strings.Contains(s, ph) {
			s = strings.ReplaceAll(s, ph, f.h.conversation(id, "to delete").ID)
		}
	}
	return strings.NewReplacer("{shop_conv}", f.convs["{shop_conv}"], "{blog_conv}", f.convs["{blog_conv}"], "{owner}", f.accounts["owner"].ID, "{viewer}", f.accounts["viewer"].ID, "{actor}", actor).Replace(s)
}

func TestRoleMatrix(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		f := newMatrixFixture(t, engine)
		for _, via := range []string{"token", "cookie"} {
			clients := map[string]*client{}
			for i, actor := range actors {
				if via == "token" {
					raw, _ := f.h.token(f.accounts[actor], 0)
					clients[actor] = f.h.bearerClient(raw)
				} else {
					clients[actor] = f.h.client().mustLogin(f.accounts[actor].Email)
				}
				// Each caller signs in from its own address: the failed sign-ins of the
				// login row must not add up to a back-off.
				clients[actor].ip = "203.0.113." + string(rune('1'+i)) + map[string]string{"token": "0", "cookie": "1"}[via]
			}
			for _, row := range matrix {
				for i, actor := range actors {
					r := clients[actor].do(row.method, f.expand(row.path, actor), f.expand(row.body, actor))
					if r.status != row.want[i] {
						t.Errorf("%s %s as %s (%s): %d %s, want %d", row.method, row.path, actor, via, r.status, r.body, row.want[i])
					}
				}
			}
		}
		// Unauthenticated callers get 401 on every route but the public ones.
		anon := f.h.client()
		for _, row := range matrix {
			switch row.route {
			case "POST /admin/api/v1/setup", "POST /admin/api/v1/login":
				continue
			case "GET /admin/api/v1/openapi.json": // the API's description: no sign-in (docs/api.md)
				if r := anon.do(row.method, row.path, ""); r.status != http.StatusOK {
					t.Errorf("%s without credentials: %d", row.path, r.status)
				}
				continue
			}
			if r := anon.do(row.method, f.expand(row.path, "owner"), f.expand(row.body, "owner")); r.status != http.StatusUnauthorized {
				t.Errorf("%s %s without credentials: %d", row.method, row.path, r.status)
			}
		}
		// Out-of-role account changes are audited as denied.
		denied := f.h.entries(store.AuditFilter{Result: "denied", Action: "account.update"})
		if len(denied) != 6 { // admin, admin_all, viewer × token, cookie
			t.Errorf("%d denied account.update entries, want 6", len(denied))
		}
	})
}

// TestRoleMatrixCoversEveryRoute fails when a registered route has no row in the matrix.
func TestRoleMatrixCoversEveryRoute(t *testing.T) {
	h := newHarness(t, "sqlite")
	covered := map[string]bool{}
	for _, row := range matrix {
		covered[row.route] = true
		if !strings.HasPrefix(row.route, row.method+" ") {
			t.Errorf("row %s %s names route %s", row.method, row.path, row.route)
		}
	}
	for _, r := range h.srv.Routes() {
		if !covered[r.Pattern] {
			t.Errorf("route %s (%s) has no row in the role matrix", r.Pattern, r.Perm)
		}
		delete(covered, r.Pattern)
	}
	for route := range covered {
		t.Errorf("the matrix names %s, which is not registered", route)
	}
}
