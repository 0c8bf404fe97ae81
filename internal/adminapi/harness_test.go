package adminapi_test

import (
	"context"
	"encoding/json"
	"github.com/chatproxy/chatproxy/internal/analytics"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/adminapi"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/clientip"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/conversations"
	"github.com/chatproxy/chatproxy/internal/openapi/openapitest"
	"github.com/chatproxy/chatproxy/internal/privacy"
	"github.com/chatproxy/chatproxy/internal/ratelimit"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/sitecfg"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/postgres"
	"github.com/chatproxy/chatproxy/internal/store/sqlite"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

const password = "correct horse battery"

// clock is the console's settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// harness is a console server over a real database.
type harness struct {
	t     *testing.T
	st    store.Store
	svc   *console.Service
	log   *audit.Log
	srv   *adminapi.Server
	ts    *httptest.Server
	clk   *clock
	sites *sitecfg.Service
	reg   *site.Registry
	// http checks every response against docs/openapi.yaml (openapitest).
	http *http.Client
}

type harnessOpts struct {
	limiter ratelimit.Limiter
	st      store.Store
	cfg     func(*config.Config)
	tls     bool
	// fileSites are the configured sites (the sites file); resolver answers DNS at save time.
	fileSites []config.Site
	resolver  upstream.Resolver
}

// engines runs fn once per storage engine.
func engines(t *testing.T, fn func(t *testing.T, engine string)) {
	for _, e := range []string{"sqlite", "postgres"} {
		t.Run(e, func(t *testing.T) {
			t.Parallel()
			fn(t, e)
		})
	}
}

func openStore(t *testing.T, engine string) store.Store {
	t.Helper()
	var st store.Store
	var err error
	if engine == "postgres" {
		st, err = postgres.Open(t.Context(), storetest.NewPostgresURL(t), testCipher{})
	} else {
		st, err = sqlite.Open(t.Context(), storetest.NewSQLitePath(t), testCipher{})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

func newHarness(t *testing.T, engine string, opts ...func(*harnessOpts)) *harness {
	t.Helper()
	var o harnessOpts
	for _, f := range opts {
		f(&o)
	}
	if o.st == nil {
		o.st = openStore(t, engine)
	}
	if o.resolver == nil {
		o.resolver = &fakeDNS{}
	}
	if o.limiter == nil {
		lim := ratelimit.NewMemory()
		t.Cleanup(func() { _ = lim.Close() })
		o.limiter = lim
	}
	clk := &clock{t: time.Now().UTC()}
	svc, err := console.New(console.Options{Store: o.st, Limiter: o.limiter, CSRFKey: []byte(strings.Repeat("c", 32)), Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	log := audit.New(o.st)
	reg, err := site.NewRegistry(o.fileSites, []byte(strings.Repeat("s", 32)))
	if err != nil {
		t.Fatal(err)
	}
	sites := sitecfg.New(sitecfg.Options{Store: o.st, Cipher: testCipher{}, Registry: reg,
		AllowPrivateUpstream: cfg.AllowPrivateUpstream, Resolver: o.resolver})
	if err := sites.SyncFileSites(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := sites.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv := adminapi.New(adminapi.Deps{Config: cfg, Console: svc, Audit: log, Sites: sites, IPs: clientip.NewResolver(cfg.TrustedProxies),
		Analytics: &analytics.Query{Store: o.st}, Conversations: &conversations.Service{Store: o.st}, Privacy: &privacy.Service{Store: o.st}})
	ts := httptest.NewUnstartedServer(srv)
	if o.tls {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	return &harness{t: t, st: o.st, svc: svc, log: log, srv: srv, ts: ts, clk: clk, sites: sites, reg: reg,
		http: openapitest.Client(t, ts.Client())}
}

// account creates an account directly (no HTTP, no audit entry).
func (h *harness) account(email, role string, sites ...string) store.Account {
	h.t.Helper()
	a, err := h.svc.CreateAccount(context.Background(), console.NewAccount{Email: email, Password: password, Role: role, Sites: sites, AllSites: sites == nil})
	if err != nil {
		h.t.Fatalf("CreateAccount(%s): %v", email, err)
	}
	return a
}

// token mints an API token for a (no HTTP).
func (h *harness) token(a store.Account, ttl time.Duration) (string, store.APIToken) {
	h.t.Helper()
	raw, tok, err := h.svc.CreateToken(context.Background(), a.ID, "test", ttl)
	if err != nil {
		h.t.Fatal(err)
	}
	return raw, tok
}

// client is one browser or script talking to the console.
type client struct {
	h      *harness
	cookie string // chatproxy_admin value
	csrf   string
	bearer string
	ip     string // sent as X-Forwarded-For (the harness trusts 127.0.0.0/8)
	origin string // "" = the console's own origin on changes
	http   *http.Client
}

func (h *harness) client() *client {
	return &client{h: h, http: h.http}
}

func (h *harness) bearerClient(token string) *client {
	c := h.client()
	c.bearer = token
	return c
}

type response struct {
	status int
	header http.Header
	body   []byte
	cookie *http.Cookie // the chatproxy_admin cookie set, if any
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
}

func (r response) code() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Code
}

// do sends a request; changes carry the CSRF token and the console's Origin unless the
// client says otherwise.
func (c *client) do(method, path, body string, hdr ...string) response {
	c.h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.h.ts.URL+path, rd)
	if err != nil {
		c.h.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: adminapi.CookieName, Value: c.cookie})
	}
	if method != http.MethodGet {
		origin := c.origin
		if origin == "" {
			origin = c.h.ts.URL
		}
		req.Header.Set("Origin", origin)
		if c.csrf != "" {
			req.Header.Set("X-CSRF-Token", c.csrf)
		}
	}
	if c.ip != "" {
		req.Header.Set("X-Forwarded-For", c.ip)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, header: resp.Header, body: b}
	for _, ck := range resp.Cookies() {
		if ck.Name == adminapi.CookieName {
			out.cookie = ck
		}
	}
	return out
}

// login signs c in and keeps the cookie and CSRF token.
func (c *client) login(email, pw string) response {
	c.h.t.Helper()
	r := c.do("POST", "/admin/api/v1/login", `{"email":"`+email+`","password":"`+pw+`"}`)
	if r.status == http.StatusOK {
		var body struct {
			CSRFToken string `json:"csrf_token"`
		}
		r.json(c.h.t, &body)
		c.cookie, c.csrf = r.cookie.Value, body.CSRFToken
	}
	return r
}

func (c *client) mustLogin(email string) *client {
	c.h.t.Helper()
	if r := c.login(email, password); r.status != http.StatusOK {
		c.h.t.Fatalf("login %s: %d %s", email, r.status, r.body)
	}
	return c
}

// entries returns the audit log, newest first.
func (h *harness) entries(f store.AuditFilter) []store.AuditEntry {
	h.t.Helper()
	f.Limit = 200
	out, err := h.log.List(context.Background(), f)
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// testCipher seals by XOR with a tag so a test can see sealed bytes differ from the plaintext.
type testCipher struct{}

func (testCipher) Seal(p []byte, aad string) ([]byte, error) {
	out := append([]byte("sealed:"), p...)
	for i := 7; i < len(out); i++ {
		out[i] ^= 0x5a
	}
	return out, nil
}

func (testCipher) Open(s []byte, aad string) ([]byte, error) {
	out := append([]byte(nil), s[7:]...)
	for i := range out {
		out[i] ^= 0x5a
	}
	return out, nil
}
