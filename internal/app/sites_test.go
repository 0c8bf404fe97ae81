package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/ratelimit/ratelimittest"
	"github.com/chatproxy/chatproxy/internal/sitecfg"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

// replica is one running app with the console on a listener of its own.
type replica struct {
	t      *testing.T
	app    *App
	public string // http://127.0.0.1:port
	admin  string
}

// startReplica runs the real app: one file site, the console on its own listener, the fake
// n8n's CA trusted for upstream TLS, and vars on top (DATABASE_URL, REDIS_URL, …).
func startReplica(t *testing.T, fake *n8ntest.Server, res upstream.Resolver, vars map[string]string) *replica {
	t.Helper()
	dir := t.TempDir()
	sitesFile := filepath.Join(dir, "sites.yaml")
	if err := os.WriteFile(sitesFile, []byte(`sites:
  - id: filed
    allowed_origins: ["https://filed.example"]
    n8n_webhook_url: "`+fake.URL+`/webhook/filed/chat"
    signing: {algorithm: HS256, secret: "`+strings.Repeat("f", 32)+`"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"CHATPROXY_DATA_DIR":        dir,
		"CHATPROXY_ADDR":            "127.0.0.1:0",
		"CHATPROXY_METRICS_ADDR":    "off",
		"CHATPROXY_ADMIN_ADDR":      "127.0.0.1:0",
		"CHATPROXY_SITES_FILE":      sitesFile,
		"JWT_SECRET_KEY":            strings.Repeat("j", 32),
		"SESSION_SECRET_KEY":        strings.Repeat("s", 32),
		"CHATPROXY_ENCRYPTION_KEYS": "t1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
	}
	for k, v := range vars {
		env[k] = v
	}
	c, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if err := config.EnsureSecrets(&c); err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), c, slog.New(slog.DiscardHandler), WithUpstreamOptions(func(o *upstream.Options) {
		o.RootCAs, o.Resolver = fake.RootCAs(), res
	}))
	if err != nil {
		t.Fatal(err)
	}
	l, err := a.Listen()
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, l) }()
	t.Cleanup(func() {
		stop()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("Serve did not return")
		}
		a.Close()
	})
	return &replica{t: t, app: a, public: "http://" + l.Public.Addr().String(), admin: "http://" + l.Admin.Addr().String()}
}

// ownerToken makes an owner account and an API token for it.
func (r *replica) ownerToken() string {
	r.t.Helper()
	ctx := context.Background()
	acct, err := r.app.Console.CreateAccount(ctx, console.NewAccount{Email: "owner@example.com", Password: "correct horse battery", Role: "owner", AllSites: true})
	if err != nil {
		r.t.Fatal(err)
	}
	raw, _, err := r.app.Console.CreateToken(ctx, acct.ID, "test", 0)
	if err != nil {
		r.t.Fatal(err)
	}
	return raw
}

func (r *replica) call(method, url, body string, hdr map[string]string) (int, string) {
	r.t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (r *replica) console(token, method, path, body string) (int, string) {
	return r.call(method, r.admin+path, body, map[string]string{"Authorization": "Bearer " + token})
}

// session opens a visitor session on site from origin; it returns the token ("" and the
// status when refused).
func (r *replica) session(siteID, origin string) (string, int) {
	status, body := r.call("POST", r.public+"/api/v1/session/create", `{"site_id":"`+siteID+`"}`, map[string]string{"Origin": origin})
	var s struct{ Token string }
	_ = json.Unmarshal([]byte(body), &s)
	return s.Token, status
}

// chat sends one message and returns the status and the whole SSE body.
func (r *replica) chat(token, origin, text string) (int, string) {
	return r.call("POST", r.public+"/api/v1/chat/message", `{"message":"`+text+`"}`,
		map[string]string{"Origin": origin, "Authorization": "Bearer " + token})
}

// within polls ok every 20 ms until it holds or d has passed since start; it returns how long
// it took, or fails the test.
func within(t *testing.T, start time.Time, d time.Duration, what string, ok func() bool) time.Duration {
	t.Helper()
	for {
		if ok() {
			return time.Since(start)
		}
		if time.Since(start) > d {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConsoleSitesReachEveryReplica: two replicas share PostgreSQL and Redis. A site created,
// edited and disabled through replica A's console is served, changed and refused by replica
// B within 2 s, with no restart; a chat through B reaches the webhook the edit set.
func TestConsoleSitesReachEveryReplica(t *testing.T) {
	ratelimittest.RedisClient(t)
	fake := n8ntest.NewTLSServer(n8ntest.WithScenario(n8ntest.ScenarioJSONOutput))
	t.Cleanup(fake.Close)
	shared := map[string]string{
		"DATABASE_URL": storetest.NewPostgresURL(t), "REDIS_URL": ratelimittest.DefaultRedisURL,
		"CHATPROXY_REDIS_PREFIX": ratelimittest.UniquePrefix(t), "CHATPROXY_ALLOW_PRIVATE_UPSTREAM": "true",
	}
	a := startReplica(t, fake, nil, shared)
	b := startReplica(t, fake, nil, shared)
	token := a.ownerToken()
	const origin = "https://hot.example"

	start := time.Now()
	status, body := a.console(token, "POST", "/admin/api/v1/sites", `{"id":"hot","allowed_origins":["`+origin+`"],
		"n8n_webhook_url":"`+fake.URL+`/webhook/v1/chat","abuse":{"min_first_message_delay_ms":-1}}`)
	if status != 201 {
		t.Fatalf("create on A: %d %s", status, body)
	}
	var created sitecfg.Created
	_ = json.Unmarshal([]byte(body), &created)
	fake.SetHS256At("/webhook/v1/chat", []byte(created.Secret)) // the operator fills n8n's credential
	took := within(t, start, 2*time.Second, "B serves the new site", func() bool {
		s, _ := b.call("GET", b.public+"/api/v1/sites/hot/config", "", nil)
		return s == 200
	})
	t.Logf("create on A -> served by B: %s", took)
	visitor, st := b.session("hot", origin)
	if st != 200 {
		t.Fatalf("session on B: %d", st)
	}
	if st, sse := b.chat(visitor, origin, "hello"); st != 200 || !strings.Contains(sse, n8ntest.AnswerText) {
		t.Fatalf("chat through B: %d %s", st, sse)
	}
	if last, _ := fake.Last(); last.Path != "/webhook/v1/chat" || last.Claims["aud"] != "n8n:hot" {
		t.Fatalf("B called %s with %v", last.Path, last.Claims)
	}

	fake.SetHS256At("/webhook/v2/chat", []byte(created.Secret))
	start = time.Now()
	if status, body := a.console(token, "PATCH", "/admin/api/v1/sites/hot",
		`{"n8n_webhook_url":"`+fake.URL+`/webhook/v2/chat","widget":{"title":"Edited"}}`); status != 200 {
		t.Fatalf("edit on A: %d %s", status, body)
	}
	took = within(t, start, 2*time.Second, "B serves the edit", func() bool {
		_, cfg := b.call("GET", b.public+"/api/v1/sites/hot/config", "", nil)
		return strings.Contains(cfg, `"title":"Edited"`)
	})
	t.Logf("edit on A -> served by B: %s", took)
	if st, sse := b.chat(visitor, origin, "again"); st != 200 || !strings.Contains(sse, n8ntest.AnswerText) {
		t.Fatalf("chat through B after the edit: %d %s", st, sse)
	}
	if last, _ := fake.Last(); last.Path != "/webhook/v2/chat" {
		t.Fatalf("after the edit B called %s, want the new webhook", last.Path)
	}

	onA, _ := a.session("hot", origin)
	start = time.Now()
	if status, body := a.console(token, "PATCH", "/admin/api/v1/sites/hot", `{"disabled":true}`); status != 200 {
		t.Fatalf("disable on A: %d %s", status, body)
	}
	// At once on A, within 2 s on B: messages of existing sessions and new sessions refused.
	if st, _ := a.chat(onA, origin, "still there?"); st != 401 {
		t.Fatalf("A right after disabling: message %d, want 401", st)
	}
	calls := fake.Count()
	took = within(t, start, 2*time.Second, "B refuses the disabled site", func() bool {
		st, _ := b.chat(visitor, origin, "still there?")
		return st == 401
	})
	t.Logf("disable on A -> refused by B: %s", took)
	if _, st := b.session("hot", origin); st != 404 {
		t.Fatalf("new session on B for a disabled site: %d, want 404", st)
	}
	if fake.Count() > calls+1 { // at most one message raced the reload on B
		t.Fatalf("n8n got %d calls after the site was disabled", fake.Count()-calls)
	}
}

// rebinding answers every name with one address, which the test changes.
type rebinding struct {
	mu   sync.Mutex
	addr string
}

func (r *rebinding) set(a string) { r.mu.Lock(); r.addr = a; r.mu.Unlock() }

func (r *rebinding) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return []netip.Addr{netip.MustParseAddr(r.addr)}, nil
}

// TestConsoleWebhookSSRF: a webhook name that resolves to loopback is refused at save (400
// webhook_not_allowed); one that resolved to a public address at save and to loopback later
// is refused at dial: the visitor gets an error and nothing reaches the address.
func TestConsoleWebhookSSRF(t *testing.T) {
	fake := n8ntest.NewTLSServer(n8ntest.WithScenario(n8ntest.ScenarioJSONOutput))
	t.Cleanup(fake.Close)
	dns := &rebinding{addr: "127.0.0.1"}
	r := startReplica(t, fake, dns, nil)
	token := r.ownerToken()
	const origin = "https://rebind.example"
	site := `{"id":"rebind","allowed_origins":["` + origin + `"],"n8n_webhook_url":"https://example.com:` + fake.Port() +
		`/webhook/x/chat","abuse":{"min_first_message_delay_ms":-1}}`

	if status, body := r.console(token, "POST", "/admin/api/v1/sites", site); status != 400 || !strings.Contains(body, "webhook_not_allowed") {
		t.Fatalf("save with the name on 127.0.0.1: %d %s", status, body)
	}
	dns.set("93.184.215.14")
	if status, body := r.console(token, "POST", "/admin/api/v1/sites", site); status != 201 {
		t.Fatalf("save with the name on a public address: %d %s", status, body)
	}
	dns.set("127.0.0.1") // DNS rebinding after the save
	visitor, st := r.session("rebind", origin)
	if st != 200 {
		t.Fatalf("session: %d", st)
	}
	st, sse := r.chat(visitor, origin, "hello")
	if st != 200 || !strings.Contains(sse, `"upstream_unreachable"`) || strings.Contains(sse, n8ntest.AnswerText) {
		t.Fatalf("chat after rebinding: %d %s", st, sse)
	}
	if fake.Count() != 0 {
		t.Fatalf("the fake n8n on 127.0.0.1 got %d requests", fake.Count())
	}
}
