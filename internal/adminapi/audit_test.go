package adminapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/store"
)

// TestAuditEntriesForEveryAction performs every action of the console core over HTTP and
// checks its entry: actor, client IP, target, result, request id, and no secret in the diff.
func TestAuditEntriesForEveryAction(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		owner := h.account("owner@example.com", "owner")
		c := h.client()
		c.ip = "203.0.113.50"
		c.login("owner@example.com", "not the password!")
		c.mustLogin("owner@example.com")
		steps := []struct {
			method, path, body string
			status             int
		}{
			{"POST", "/admin/api/v1/accounts", `{"email":"v@example.com","password":"viewer password 1","role":"viewer","sites":["shop"]}`, 201},
			{"PATCH", "/admin/api/v1/accounts/{v}", `{"role":"admin","sites":["shop","blog"]}`, 200},
			{"PATCH", "/admin/api/v1/accounts/{v}", `{"password":"a reset password 2"}`, 200},
			{"PATCH", "/admin/api/v1/accounts/{v}", `{"disabled":true}`, 200},
			{"POST", "/admin/api/v1/tokens", `{"name":"ci","expires":"30d"}`, 201},
			{"DELETE", "/admin/api/v1/tokens/{t}", "", 200},
		}
		var vID, tID, tokenValue string
		for _, s := range steps {
			path := strings.NewReplacer("{v}", vID, "{t}", tID).Replace(s.path)
			r := c.do(s.method, path, s.body)
			if r.status != s.status {
				t.Fatalf("%s %s: %d %s", s.method, path, r.status, r.body)
			}
			var body struct{ ID, Token string }
			r.json(t, &body)
			if strings.HasSuffix(s.path, "/accounts") {
				vID = body.ID
			}
			if strings.HasSuffix(s.path, "/tokens") {
				tID, tokenValue = body.ID, body.Token
			}
		}
		c.do("POST", "/admin/api/v1/logout", "")

		want := []struct {
			action, result, target string
		}{
			{"auth.logout", "ok", owner.ID},
			{"token.revoke", "ok", tID},
			{"token.create", "ok", tID},
			{"account.disable", "ok", vID},
			{"account.password", "ok", vID},
			{"account.update", "ok", vID},
			{"account.create", "ok", vID},
			{"auth.login", "ok", owner.ID},
			{"auth.login_failed", "denied", owner.ID},
		}
		got := h.entries(store.AuditFilter{})
		if len(got) != len(want) {
			t.Fatalf("%d entries, want %d: %+v", len(got), len(want), got)
		}
		for i, w := range want {
			e := got[i]
			if e.Action != w.action || e.Result != w.result || e.TargetID != w.target || e.ActorIP != "203.0.113.50" ||
				e.RequestID == "" || e.ActorLabel != "owner@example.com" {
				t.Errorf("entry %d = %s/%s target %s ip %s req %q actor %q; want %s/%s target %s",
					i, e.Action, e.Result, e.TargetID, e.ActorIP, e.RequestID, e.ActorLabel, w.action, w.result, w.target)
			}
			for _, secret := range []string{"viewer password 1", "a reset password 2", tokenValue, "not the password", "argon2"} {
				if strings.Contains(string(e.Diff), secret) {
					t.Errorf("entry %s leaks %q: %s", e.Action, secret, e.Diff)
				}
			}
		}
		if got[8].ActorID != owner.ID { // the failed sign-in names the account it tried
			t.Errorf("failed sign-in actor_id %q", got[8].ActorID)
		}
		var diff map[string][2]any
		if err := json.Unmarshal(got[5].Diff, &diff); err != nil || diff["role"][0] != "viewer" || diff["role"][1] != "admin" {
			t.Errorf("account.update diff = %s", got[5].Diff)
		}
		if n, err := h.log.Verify(context.Background()); err != nil || n != len(want) {
			t.Errorf("Verify = %d, %v", n, err)
		}
	})
}

func TestAuditEndpointScopeFiltersAndPages(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		owner := h.account("owner@example.com", "owner")
		admin := h.account("admin@example.com", "admin", "shop")
		ctx := context.Background()
		for _, e := range []audit.Entry{
			{Actor: audit.Actor{ID: owner.ID, Label: "owner@example.com"}, Action: audit.SiteUpdate, SiteID: "shop", TargetType: "site", TargetID: "shop"},
			{Actor: audit.Actor{ID: owner.ID, Label: "owner@example.com"}, Action: audit.SiteUpdate, SiteID: "blog", TargetType: "site", TargetID: "blog"},
			{Actor: audit.Actor{ID: owner.ID, Label: "owner@example.com"}, Action: audit.AccountCreate, TargetType: "account", TargetID: "x"},
			{Actor: audit.Actor{ID: admin.ID, Label: "admin@example.com"}, Action: audit.TokenCreate, TargetType: "token", TargetID: "t"},
		} {
			if _, err := h.log.Record(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		list := func(c *client, query string) (ids []string, next string) {
			t.Helper()
			r := c.do("GET", "/admin/api/v1/audit"+query, "")
			var body struct {
				Items []struct {
					Action, Summary string
					SiteID          *string `json:"site_id"`
					TargetID        string  `json:"target_id"`
					Hash            string
				}
				NextCursor string `json:"next_cursor"`
			}
			r.json(t, &body)
			if r.status != 200 {
				t.Fatalf("GET audit%s: %d %s", query, r.status, r.body)
			}
			for _, it := range body.Items {
				if it.Summary == "" || it.Hash == "" {
					t.Errorf("entry without summary or hash: %+v", it)
				}
				ids = append(ids, it.Action+":"+it.TargetID)
			}
			return ids, body.NextCursor
		}
		rawOwner, _ := h.token(owner, 0)
		rawAdmin, _ := h.token(admin, 0)
		o, a := h.bearerClient(rawOwner), h.bearerClient(rawAdmin)
		if ids, _ := list(o, ""); strings.Join(ids, " ") != "token.create:t account.create:x site.update:blog site.update:shop" {
			t.Fatalf("owner sees %v", ids)
		}
		if ids, _ := list(a, ""); strings.Join(ids, " ") != "token.create:t site.update:shop" {
			t.Fatalf("admin of shop sees %v (want its site's entries and its own)", ids)
		}
		if ids, _ := list(a, "?site=blog"); len(ids) != 0 {
			t.Fatalf("admin of shop reads blog's entries: %v", ids)
		}
		if ids, _ := list(o, "?action=site.update&site=blog"); strings.Join(ids, " ") != "site.update:blog" {
			t.Fatalf("filtered: %v", ids)
		}
		first, next := list(o, "?limit=3")
		if len(first) != 3 || next == "" {
			t.Fatalf("page 1: %v next %q", first, next)
		}
		second, next2 := list(o, "?limit=3&cursor="+url.QueryEscape(next))
		if strings.Join(second, " ") != "site.update:shop" || next2 != "" {
			t.Fatalf("page 2: %v next %q", second, next2)
		}
	})
}
