package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/app"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/openapi/openapitest"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
)

const (
	shopOrigin  = "https://shop.example"
	otherOrigin = "https://other.example"
	n8nSecret   = "n8n-shared-secret-0123456789abcdef0123"
	jwtSecret   = "session-token-secret-0123456789abcdef"
)

// engines runs a test against every storage engine, PostgreSQL for real.
var engines = []string{"sqlite", "postgres"}

type env struct {
	t    *testing.T
	app  *app.App
	url  string
	fake *n8ntest.Server
	// client checks every response against docs/openapi.yaml (openapitest).
	client *http.Client
	// stop begins the app's graceful shutdown (like SIGTERM); served reports Serve's result.
	stop   context.CancelFunc
	served chan error
}

// envConfig is what options may change before the app starts.
type envConfig struct {
	vars       map[string]string
	otherExtra string
	fake       *n8ntest.Server
}

type envOpt func(*envConfig)

// withEnv sets one environment variable of the app under test.
func withEnv(k, v string) envOpt {
	return func(c *envConfig) { c.vars[k] = v }
}

// withOtherSiteYAML replaces the optional lines of the "other" site (by default it only turns
// off the minimum delay before a first message).
func withOtherSiteYAML(lines string) envOpt {
	return func(c *envConfig) { c.otherExtra = lines }
}

// withFake makes the app call an existing fake n8n (replicas share one).
func withFake(f *n8ntest.Server) envOpt {
	return func(c *envConfig) { c.fake = f }
}

// newEnv starts the real app (config loading, storage, limiter, upstream client, HTTP) against
// a fake n8n that checks our JWT the way n8n's JWT Auth does.
//
// engine is "sqlite", "postgres" (a fresh database) or "" (DATABASE_URL comes from an option).
func newEnv(t *testing.T, engine string, opts ...envOpt) *env {
	t.Helper()
	cfg := &envConfig{vars: map[string]string{}, otherExtra: "    abuse: {min_first_message_delay_ms: -1}\n"}
	for _, o := range opts {
		o(cfg)
	}
	fake := cfg.fake
	if fake == nil {
		fake = n8ntest.NewServer(fakeN8NOptions(t)...)
		t.Cleanup(fake.Close)
	}
	dir := t.TempDir()
	sites := `sites:
  - id: shop
    name: Test shop
    allowed_origins: ["` + shopOrigin + `", "https://*.shop.example"]
    n8n_webhook_url: "` + fake.URL + `/webhook/test/chat"
    signing: {algorithm: HS256, secret: "` + n8nSecret + `"}
    abuse: {min_first_message_delay_ms: -1}
    identify: fingerprint
    limits: {session_per_minute: 1000, ip_per_minute: 1000, sessions_per_ip_per_hour: 1000, concurrent_streams_per_ip: 1000}
  - id: other
    allowed_origins: ["` + otherOrigin + `"]
    n8n_webhook_url: "` + fake.URL + otherWebhookPath + `"
`
	// "other" signs with the key derived for it from SESSION_SECRET_KEY unless a test says otherwise.
	vars := map[string]string{
		"CHATPROXY_DATA_DIR":                    dir,
		"CHATPROXY_ADDR":                        "127.0.0.1:0",
		"CHATPROXY_METRICS_ADDR":                "off",
		"CHATPROXY_ADMIN_ADDR":                  "off",
		"JWT_SECRET_KEY":                        jwtSecret,
		"SESSION_SECRET_KEY":                    n8nSecret,
		"CHATPROXY_ENCRYPTION_KEYS":             "t1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
		"CHATPROXY_UPSTREAM_FIRST_BYTE_TIMEOUT": "2s",
		"CHATPROXY_UPSTREAM_IDLE_TIMEOUT":       "1s",
		"CHATPROXY_UPSTREAM_TOTAL_TIMEOUT":      "10s",
	}
	if engine == "postgres" {
		vars["DATABASE_URL"] = storetest.NewPostgresURL(t)
	}
	for k, v := range cfg.vars {
		vars[k] = v
	}
	sites += cfg.otherExtra
	path := filepath.Join(dir, "sites.yaml")
	if err := os.WriteFile(path, []byte(sites), 0o600); err != nil {
		t.Fatal(err)
	}
	vars["CHATPROXY_SITES_FILE"] = path
	c, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if err := config.EnsureSecrets(&c); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(context.Background(), c, log)
	if err != nil {
		t.Fatal(err)
	}
	l, err := a.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	e := &env{t: t, app: a, url: "http://" + l.Public.Addr().String(), fake: fake, stop: stop, served: make(chan error, 1),
		client: openapitest.Client(t, nil)}
	go func() { e.served <- a.Serve(ctx, l) }()
	t.Cleanup(func() {
		stop()
		select {
		case <-e.served:
		case <-time.After(40 * time.Second):
			t.Error("server did not stop")
		}
		a.Close()
	})
	return e
}

// otherWebhookPath is site "other"'s webhook: its own n8n workflow, whose JWT Auth credential
// holds the key chatproxy derives for "other" from SESSION_SECRET_KEY.
const otherWebhookPath = "/webhook/other/chat"

// fakeN8NOptions make a fake n8n that checks each site's token with that site's key.
func fakeN8NOptions(t *testing.T) []n8ntest.Option {
	t.Helper()
	otherKey, err := site.DeriveSecret([]byte(n8nSecret), "other")
	if err != nil {
		t.Fatal(err)
	}
	return []n8ntest.Option{n8ntest.WithHS256([]byte(n8nSecret)), n8ntest.WithHS256At(otherWebhookPath, otherKey), n8ntest.WithChunks(5)}
}

type request struct {
	method, path, origin, token, cookie string
	body                                any // string = raw body, else JSON
	header                              map[string]string
	host                                string // the Host header, when not the server's address
}

func (e *env) do(r request) *http.Response {
	e.t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(r.method, e.url+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.origin != "" {
		req.Header.Set("Origin", r.origin)
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "chat_session_id", Value: r.cookie})
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if r.host != "" {
		req.Host = r.host
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

type session struct {
	ID        string    `json:"session_id"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	VisitorID string    `json:"visitor_id"`
	Returning bool      `json:"returning"`
	cookie    string
}

func (e *env) newSession(body map[string]any) session {
	e.t.Helper()
	if body == nil {
		body = map[string]any{"site_id": "shop"}
	}
	resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: shopOrigin, body: body})
	if resp.StatusCode != 200 {
		e.t.Fatalf("session create: %d %s", resp.StatusCode, readAll(resp))
	}
	var s session
	decode(e.t, resp, &s)
	for _, c := range resp.Cookies() {
		if c.Name == "chat_session_id" {
			s.cookie = c.Value
		}
	}
	return s
}

type sseEvent struct {
	ID   string
	Data map[string]any
	Raw  string
}

type sseResult struct {
	events []sseEvent
	done   bool
	pings  int
}

func (r sseResult) text() string {
	var b strings.Builder
	for _, e := range r.events {
		if e.Data["type"] == "item" {
			b.WriteString(e.Data["content"].(string))
		}
	}
	return b.String()
}

func (r sseResult) ofType(typ string) []sseEvent {
	var out []sseEvent
	for _, e := range r.events {
		if e.Data["type"] == typ {
			out = append(out, e)
		}
	}
	return out
}

// readSSE parses a whole SSE response.
func readSSE(t *testing.T, resp *http.Response) sseResult {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
		t.Fatalf("status %d, content type %q: %s", resp.StatusCode, ct, readAll(resp))
	}
	res, err := scanSSE(resp.Body, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (e *env) send(s session, body map[string]any) sseResult {
	e.t.Helper()
	resp := e.do(request{method: "POST", path: "/api/v1/chat/message", origin: shopOrigin, token: s.Token, body: body})
	return readSSE(e.t, resp)
}

func (e *env) messages(sessionID string) []store.Message {
	e.t.Helper()
	msgs, err := e.app.Store.ListMessages(context.Background(), sessionID, store.Page{Limit: 200})
	if err != nil {
		e.t.Fatal(err)
	}
	return msgs
}

// waitMessages polls until the session holds n messages (answers are stored after the stream).
func (e *env) waitMessages(sessionID string, n int) []store.Message {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs := e.messages(sessionID)
		if len(msgs) >= n || time.Now().After(deadline) {
			return msgs
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func decode(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode: %v", err)
	}
}

func readAll(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// errorCode returns the JSON error code of a response, failing the test when the body is not
// the {"error":{"code","message"}} shape.
func errorCode(t *testing.T, resp *http.Response) string {
	t.Helper()
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	raw := readAll(resp)
	if err := json.Unmarshal([]byte(raw), &body); err != nil || body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("not a JSON error body (%d): %q", resp.StatusCode, raw)
	}
	return body.Error.Code
}

func itoa(n int) string { return strconv.Itoa(n) }

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
