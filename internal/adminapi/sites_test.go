package adminapi_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/sitecfg"
	"github.com/chatproxy/chatproxy/internal/store"
)

// fakeDNS answers every name with a public address, or with the address set for it.
type fakeDNS struct {
	mu      sync.Mutex
	answers map[string]string
}

func (d *fakeDNS) set(host, addr string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.answers == nil {
		d.answers = map[string]string{}
	}
	d.answers[host] = addr
}

func (d *fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.answers[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
}

// siteBody is a valid console site; extra members are merged in (raw JSON members).
func siteBody(id string, extra ...string) string {
	members := []string{
		`"id":"` + id + `"`, `"name":"Shop ` + id + `"`,
		`"allowed_origins":["https://` + id + `.example"]`,
		`"n8n_webhook_url":"https://n8n.example.com/webhook/` + id + `/chat"`,
	}
	for _, e := range extra {
		key, _, _ := strings.Cut(e, ":")
		for i, m := range members {
			if strings.HasPrefix(m, key+":") {
				members = append(members[:i], members[i+1:]...)
				break
			}
		}
		members = append(members, e)
	}
	return "{" + strings.Join(members, ",") + "}"
}

// consoleSite creates a console site directly (no HTTP, no audit entry).
func (h *harness) consoleSite(id string, extra ...string) sitecfg.Created {
	h.t.Helper()
	c, err := h.sites.Create(context.Background(), []byte(siteBody(id, extra...)))
	if err != nil {
		h.t.Fatalf("create site %s: %v", id, err)
	}
	return c
}

func decodeSite(t *testing.T, r response) sitecfg.View {
	t.Helper()
	var v sitecfg.View
	r.json(t, &v)
	return v
}

func TestSitesLifecycle(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine, func(o *harnessOpts) {
			o.fileSites = []config.Site{fileSite("filed")}
		})
		owner := h.client().mustLogin(h.account("owner@example.com", "owner").Email)

		r := owner.do("POST", "/admin/api/v1/sites", siteBody("shop", `"limits":{"ip_per_minute":30}`))
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var created sitecfg.Created
		r.json(t, &created)
		secret := created.Secret
		if len(secret) != 43 || created.Site.ManagedBy != "console" || created.Site.Limits.IPPerMinute != 30 ||
			created.Site.Limits.MaxMessageLength != 4000 || created.Site.Secret.Algorithm != "HS256" ||
			r.header.Get("ETag") != sitecfg.ETag(created.Site.Version) || r.header.Get("Location") != "/admin/api/v1/sites/shop" {
			t.Fatalf("created: %+v, headers %v", created, r.header)
		}
		if _, ok := h.reg.Get("shop"); !ok {
			t.Fatal("a created site is not served at once")
		}

		got := owner.do("GET", "/admin/api/v1/sites/shop", "")
		if got.status != 200 || strings.Contains(string(got.body), secret) || got.header.Get("ETag") != sitecfg.ETag(created.Site.Version) {
			t.Fatalf("get: %d %s (the secret must not come back)", got.status, got.body)
		}
		list := owner.do("GET", "/admin/api/v1/sites", "")
		var body struct{ Items []sitecfg.View }
		list.json(t, &body)
		if len(body.Items) != 2 || body.Items[0].ID != "filed" || body.Items[0].ManagedBy != "file" || body.Items[1].ID != "shop" {
			t.Fatalf("list: %s", list.body)
		}

		etag := got.header.Get("ETag")
		upd := owner.do("PATCH", "/admin/api/v1/sites/shop", `{"name":"Renamed","limits":{"ip_per_minute":null},"widget":{"title":"Hi"}}`, "If-Match", etag)
		after := decodeSite(t, upd)
		if upd.status != 200 || after.Name != "Renamed" || after.Limits.IPPerMinute != 60 || after.Widget.Title != "Hi" ||
			after.Version <= created.Site.Version || upd.header.Get("ETag") == etag {
			t.Fatalf("patch: %d %s", upd.status, upd.body)
		}
		if stale := owner.do("PATCH", "/admin/api/v1/sites/shop", `{"name":"Lost"}`, "If-Match", etag); stale.status != 412 || stale.code() != "precondition_failed" {
			t.Fatalf("stale If-Match: %d %s", stale.status, stale.body)
		}
		if now := decodeSite(t, owner.do("GET", "/admin/api/v1/sites/shop", "")); now.Name != "Renamed" {
			t.Fatalf("a refused patch changed the site: %+v", now)
		}
		// What a GET answered can be sent back whole, read-only fields included.
		cur := owner.do("GET", "/admin/api/v1/sites/shop", "")
		full := strings.Replace(string(cur.body), `"name":"Renamed"`, `"name":"Round trip"`, 1)
		rt := owner.do("PATCH", "/admin/api/v1/sites/shop", full)
		if after = decodeSite(t, rt); rt.status != 200 || after.Name != "Round trip" {
			t.Fatalf("patch with a whole GET body: %d %s", rt.status, rt.body)
		}
		same := owner.do("PATCH", "/admin/api/v1/sites/shop", `{"name":"Round trip"}`)
		if v := decodeSite(t, same); same.status != 200 || v.Version != after.Version {
			t.Fatalf("a patch that changes nothing must keep the version: %d %s", same.status, same.body)
		}

		if del := owner.do("DELETE", "/admin/api/v1/sites/shop", ""); del.status != 409 || del.code() != "site_enabled" {
			t.Fatalf("delete an enabled site: %d %s", del.status, del.body)
		}
		dis := owner.do("PATCH", "/admin/api/v1/sites/shop", `{"disabled":true}`)
		if v := decodeSite(t, dis); dis.status != 200 || !v.Disabled {
			t.Fatalf("disable: %d %s", dis.status, dis.body)
		}
		if _, ok := h.reg.Get("shop"); ok {
			t.Fatal("a disabled site is still served")
		}
		if del := owner.do("DELETE", "/admin/api/v1/sites/shop", "", "If-Match", etag); del.status != 412 {
			t.Fatalf("delete with a stale If-Match: %d %s", del.status, del.body)
		}
		if del := owner.do("DELETE", "/admin/api/v1/sites/shop", ""); del.status != 204 {
			t.Fatalf("delete: %d %s", del.status, del.body)
		}
		if gone := owner.do("GET", "/admin/api/v1/sites/shop", ""); gone.status != 404 {
			t.Fatalf("deleted site: %d", gone.status)
		}

		// Every change is audited with a diff and no secret.
		for action, check := range map[string]func(diff map[string]any) bool{
			"site.create":  func(d map[string]any) bool { return d["id"] != nil && d["n8n_webhook_url"] != nil },
			"site.update":  func(d map[string]any) bool { return d["name"] != nil && d["limits"] != nil && d["widget"] != nil },
			"site.disable": func(d map[string]any) bool { return d["disabled"] != nil && len(d) == 1 },
			"site.delete":  func(d map[string]any) bool { return d["id"] != nil },
		} {
			es := h.entries(store.AuditFilter{Action: action, SiteID: "shop"})
			want := map[string]int{"site.update": 2}[action] // the patch, then the round trip
			if want == 0 {
				want = 1
			}
			first := es[len(es)-1]
			if len(es) != want || first.Result != "ok" || first.ActorLabel != "owner@example.com" || first.TargetID != "shop" {
				t.Fatalf("%s entries: %+v", action, es)
			}
			var diff map[string]any
			if err := json.Unmarshal(first.Diff, &diff); err != nil || !check(diff) || strings.Contains(string(first.Diff), secret) {
				t.Errorf("%s diff: %s", action, first.Diff)
			}
		}
	})
}

func fileSite(id string) config.Site {
	s := config.Site{ID: id, AllowedOrigins: []string{"https://" + id + ".example"}, WebhookURL: "http://n8n:5678/webhook/" + id, Trusted: true}
	s.Signing.Secret = strings.Repeat("f", 32)
	config.ApplySiteDefaults(&s)
	return s
}

func TestSitesBadInput(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine, func(o *harnessOpts) {
			o.fileSites = []config.Site{fileSite("filed")}
		})
		h.consoleSite("shop")
		owner := h.client().mustLogin(h.account("owner@example.com", "owner").Email)
		huge := `"widget":{"welcome":"` + strings.Repeat("x", sitecfg.MaxBody) + `"}`
		for _, tc := range []struct {
			name, method, path, body string
			status                   int
			code, says               string
		}{
			{"unknown field", "POST", "/admin/api/v1/sites", siteBody("new", `"limits":{"per_hour":3}`), 400, "invalid_request", "limits.per_hour"},
			{"invalid origin", "POST", "/admin/api/v1/sites", siteBody("new", `"allowed_origins":["shop.example"]`), 400, "invalid_request", "allowed_origins"},
			{"no origin", "POST", "/admin/api/v1/sites", siteBody("new", `"allowed_origins":[]`), 400, "invalid_request", "allowed_origins"},
			{"invalid limit", "POST", "/admin/api/v1/sites", siteBody("new", `"limits":{"ip_per_minute":-5}`), 400, "invalid_request", "limits.ip_per_minute"},
			{"message length", "POST", "/admin/api/v1/sites", siteBody("new", `"limits":{"max_message_length":20000}`), 400, "invalid_request", "max_message_length"},
			{"bad id", "POST", "/admin/api/v1/sites", siteBody("New Site"), 400, "invalid_request", "id must be"},
			{"bad colour", "POST", "/admin/api/v1/sites", siteBody("new", `"widget":{"primary_color":"red;background:url(x)"}`), 400, "invalid_request", "primary_color"},
			{"key source", "POST", "/admin/api/v1/sites", siteBody("new", `"signing":{"secret_file":"/etc/shadow"}`), 400, "invalid_request", "signing.secret_file"},
			{"read-only", "POST", "/admin/api/v1/sites", siteBody("new", `"version":3`), 400, "invalid_request", "version"},
			{"origin taken", "POST", "/admin/api/v1/sites", siteBody("new", `"allowed_origins":["https://shop.example"]`), 400, "invalid_request", "another site"},
			{"id collision", "POST", "/admin/api/v1/sites", siteBody("shop", `"allowed_origins":["https://other.example"]`), 409, "site_exists", ""},
			{"file id collision", "POST", "/admin/api/v1/sites", siteBody("filed", `"allowed_origins":["https://other.example"]`), 409, "site_exists", ""},
			{"oversized", "POST", "/admin/api/v1/sites", siteBody("new", huge), 413, "body_too_large", ""},
			{"not JSON", "POST", "/admin/api/v1/sites", `{"id":`, 400, "invalid_json", ""},
			{"id change", "PATCH", "/admin/api/v1/sites/shop", `{"id":"other"}`, 400, "invalid_request", "id cannot change"},
			{"algorithm by patch", "PATCH", "/admin/api/v1/sites/shop", `{"signing":{"algorithm":"ES256"}}`, 400, "invalid_request", "rotate-secret"},
			{"ttl", "PATCH", "/admin/api/v1/sites/shop", `{"signing":{"ttl":"5m"}}`, 400, "invalid_request", "signing.ttl"},
			{"patch unknown", "PATCH", "/admin/api/v1/sites/shop", `{"widgets":{}}`, 400, "invalid_request", "widgets"},
			{"disabled type", "PATCH", "/admin/api/v1/sites/shop", `{"disabled":"yes"}`, 400, "invalid_request", "disabled"},
			{"patch unknown site", "PATCH", "/admin/api/v1/sites/nope", `{}`, 404, "not_found", ""},
			{"file site patch", "PATCH", "/admin/api/v1/sites/filed", `{"name":"x"}`, 409, "site_managed_by_file", ""},
			{"file site delete", "DELETE", "/admin/api/v1/sites/filed", "", 409, "site_managed_by_file", ""},
			{"file site rotate", "POST", "/admin/api/v1/sites/filed/rotate-secret", "", 409, "site_managed_by_file", ""},
			{"rotate unknown field", "POST", "/admin/api/v1/sites/shop/rotate-secret", `{"alg":"ES256"}`, 400, "invalid_request", "alg"},
		} {
			r := owner.do(tc.method, tc.path, tc.body)
			if r.status != tc.status || r.code() != tc.code || !strings.Contains(string(r.body), tc.says) {
				t.Errorf("%s: %d %s; want %d %s mentioning %q", tc.name, r.status, r.body, tc.status, tc.code, tc.says)
			}
		}
		// Nothing was stored or changed by any of them.
		views, err := h.sites.List(t.Context(), nil)
		if err != nil || len(views) != 2 {
			t.Fatalf("sites after bad input: %d, %v", len(views), err)
		}
		if len(h.entries(store.AuditFilter{Action: "site.create"})) != 0 || len(h.entries(store.AuditFilter{Action: "site.update"})) != 0 {
			t.Fatal("a refused change was audited as done")
		}
	})
}

func TestSitesScopeAndViewer(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		h.consoleSite("shop")
		h.consoleSite("blog")
		viewer := h.client().mustLogin(h.account("viewer@example.com", "viewer", "shop").Email)
		admin := h.client().mustLogin(h.account("admin@example.com", "admin", "shop").Email)

		r := viewer.do("GET", "/admin/api/v1/sites/shop", "")
		if r.status != 200 || strings.Contains(string(r.body), "n8n_webhook_url") || strings.Contains(string(r.body), "n8n.example.com") {
			t.Fatalf("viewer reads the webhook URL: %s", r.body)
		}
		if r := admin.do("GET", "/admin/api/v1/sites/shop", ""); !strings.Contains(string(r.body), `"n8n_webhook_url":"https://n8n.example.com/webhook/shop/chat"`) {
			t.Fatalf("admin does not read the webhook URL: %s", r.body)
		}
		for _, c := range []*client{viewer, admin} {
			var list struct{ Items []sitecfg.View }
			c.do("GET", "/admin/api/v1/sites", "").json(t, &list)
			if len(list.Items) != 1 || list.Items[0].ID != "shop" {
				t.Fatalf("scoped list: %+v", list.Items)
			}
		}
		if r := admin.do("PATCH", "/admin/api/v1/sites/blog", `{"name":"mine"}`); r.status != 403 {
			t.Fatalf("admin edits an out-of-scope site: %d", r.status)
		}
		if r := admin.do("POST", "/admin/api/v1/sites", siteBody("third")); r.status != 403 {
			t.Fatalf("a scoped admin creates a site: %d", r.status)
		}
		if r := admin.do("PATCH", "/admin/api/v1/sites/shop", `{"name":"Mine"}`); r.status != 200 {
			t.Fatalf("admin edits its site: %d %s", r.status, r.body)
		}
		denied := h.entries(store.AuditFilter{Result: "denied"})
		if len(denied) != 2 || denied[0].Action != "site.create" || denied[1].Action != "site.update" || denied[1].SiteID != "blog" {
			t.Fatalf("denied entries: %+v", denied)
		}
	})
}

func TestSitesSSRFAtSave(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		dns := &fakeDNS{}
		dns.set("loopback.example", "127.0.0.1")
		dns.set("metadata.example", "169.254.169.254")
		h := newHarness(t, engine, func(o *harnessOpts) { o.resolver = dns })
		h.consoleSite("shop")
		owner := h.client().mustLogin(h.account("owner@example.com", "owner").Email)
		for _, u := range []string{
			"https://127.0.0.1/webhook/x", "https://localhost/webhook/x", "https://[::1]/webhook/x",
			"https://10.0.0.5/webhook/x", "https://192.168.1.10/webhook/x", "https://169.254.169.254/latest/meta-data/",
			"https://[fd00:ec2::254]/", "https://100.64.0.1/", "https://loopback.example/webhook/x",
			"https://metadata.example/webhook/x", "http://n8n.example.com/webhook/x",
		} {
			if u == "https://localhost/webhook/x" {
				dns.set("localhost", "127.0.0.1") // the system resolver would say so too
			}
			r := owner.do("POST", "/admin/api/v1/sites", siteBody("new", `"n8n_webhook_url":"`+u+`"`))
			if r.status != 400 || r.code() != "webhook_not_allowed" || strings.Contains(string(r.body), "127.0.0.1") {
				t.Errorf("create with %s: %d %s", u, r.status, r.body)
			}
			p := owner.do("PATCH", "/admin/api/v1/sites/shop", `{"n8n_webhook_url":"`+u+`"}`)
			if p.status != 400 || p.code() != "webhook_not_allowed" {
				t.Errorf("patch to %s: %d %s", u, p.status, p.body)
			}
		}
		if v, _ := h.sites.Get(t.Context(), "shop"); v.WebhookURL != "https://n8n.example.com/webhook/shop/chat" {
			t.Fatalf("a refused URL was stored: %s", v.WebhookURL)
		}
	})
	// CHATPROXY_ALLOW_PRIVATE_UPSTREAM=true lets private addresses through (https still needed).
	dns := &fakeDNS{}
	dns.set("loopback.example", "127.0.0.1")
	h := newHarness(t, "sqlite", func(o *harnessOpts) {
		o.resolver = dns
		o.cfg = func(c *config.Config) { c.AllowPrivateUpstream = true }
	})
	owner := h.client().mustLogin(h.account("owner@example.com", "owner").Email)
	if r := owner.do("POST", "/admin/api/v1/sites", siteBody("dev", `"n8n_webhook_url":"https://loopback.example/webhook/x"`)); r.status != 201 {
		t.Fatalf("private allowed: %d %s", r.status, r.body)
	}
	if r := owner.do("POST", "/admin/api/v1/sites", siteBody("dev2", `"n8n_webhook_url":"http://localhost:5678/webhook/x"`)); r.code() != "webhook_not_allowed" {
		t.Fatalf("plain http with private allowed: %d %s", r.status, r.body)
	}
}

func TestSitesRotateSecret(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		first := h.consoleSite("shop")
		owner := h.client().mustLogin(h.account("owner@example.com", "owner").Email)

		r := owner.do("POST", "/admin/api/v1/sites/shop/rotate-secret", "")
		var rot sitecfg.Created
		r.json(t, &rot)
		s := rot.Site.Secret
		if r.status != 200 || len(rot.Secret) != 43 || rot.Secret == first.Secret || s.KID == first.Site.Secret.KID ||
			s.PreviousKID != first.Site.Secret.KID || s.PreviousUntil == nil ||
			s.PreviousUntil.Sub(time.Now()) < 23*time.Hour || s.PreviousUntil.Sub(time.Now()) > 25*time.Hour {
			t.Fatalf("rotate: %d %s", r.status, r.body)
		}
		live, _ := h.reg.Get("shop")
		if live.Target.Signer.KeyID() != s.KID || live.Target.Previous == nil || live.Target.Previous.KeyID() != first.Site.Secret.KID {
			t.Fatal("the served site does not sign with the new key and keep the previous one")
		}

		r = owner.do("POST", "/admin/api/v1/sites/shop/rotate-secret", `{"algorithm":"ES256"}`)
		rot = sitecfg.Created{}
		r.json(t, &rot)
		if r.status != 200 || rot.Secret != "" || !strings.Contains(rot.Site.Secret.PublicKeyPEM, "BEGIN PUBLIC KEY") ||
			rot.Site.Signing.Algorithm != "ES256" || rot.Site.Secret.PreviousKID != s.KID {
			t.Fatalf("rotate to ES256: %d %s", r.status, r.body)
		}
		live, _ = h.reg.Get("shop")
		if jwks := live.JWKs(time.Now()); len(jwks) != 1 || jwks[0]["kid"] != rot.Site.Secret.KID {
			t.Fatalf("JWKS during an HS256 -> ES256 overlap: %v", jwks)
		}
		r = owner.do("POST", "/admin/api/v1/sites/shop/rotate-secret", `{"revoke_previous":true}`)
		rot = sitecfg.Created{}
		r.json(t, &rot)
		if r.status != 200 || rot.Site.Secret.PreviousKID != "" {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		live, _ = h.reg.Get("shop")
		if live.Target.Previous != nil {
			t.Fatal("a revoked previous key still signs")
		}
		es := h.entries(store.AuditFilter{Action: "site.secret_rotate"})
		if len(es) != 3 || !strings.Contains(string(es[2].Diff), first.Site.Secret.KID) || strings.Contains(string(es[2].Diff), first.Secret) {
			t.Fatalf("rotation entries: %+v", es)
		}
	})
}
