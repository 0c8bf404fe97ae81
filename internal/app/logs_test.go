package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/app"
	"github.com/chatproxy/chatproxy/internal/config"
)

// lockedBuffer collects log output written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// closedPort returns an address on which nothing listens any more.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// TestFailedUpstreamCallsLogNoAddress: when n8n cannot be reached (connection refused, host
// that does not resolve), the log says which site failed and why, in words of our own, and
// never names n8n's host, port or webhook path (docs/security.md). The start-up warnings about
// the same URLs are checked too.
func TestFailedUpstreamCallsLogNoAddress(t *testing.T) {
	refused := closedPort(t)
	const unresolvable = "n8n-private-host.invalid"
	sites := `sites:
  - id: refused
    allowed_origins: ["https://refused.example"]
    n8n_webhook_url: "http://` + refused + `/webhook/secret-path-one/chat"
    abuse: {min_first_message_delay_ms: -1}
  - id: nodns
    allowed_origins: ["https://nodns.example"]
    n8n_webhook_url: "http://` + unresolvable + `:5678/webhook/secret-path-two/chat"
    abuse: {min_first_message_delay_ms: -1}
`
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := newApp(t, sites, log)
	for _, w := range a.Warnings() {
		log.Warn(w)
	}
	l, err := a.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, l) }()
	base := "http://" + l.Public.Addr().String()

	for _, site := range []string{"refused", "nodns"} {
		origin := "https://" + site + ".example"
		token := createSession(t, base, origin, site)
		stream := post(t, base+"/api/v1/chat/message", origin, token, `{"message":"hello"}`)
		if !strings.Contains(stream, "upstream_unreachable") {
			t.Fatalf("%s: want an upstream_unreachable error event, got %s", site, stream)
		}
	}
	stop()
	if err := <-served; err != nil {
		t.Fatal(err)
	}

	out := logs.String()
	_, port, _ := net.SplitHostPort(refused)
	for _, leak := range []string{refused, ":" + port, "secret-path", unresolvable, "n8n-private-host", ":5678", "/webhook/"} {
		if strings.Contains(out, leak) {
			t.Errorf("the log names the upstream (%q):\n%s", leak, linesWith(out, leak))
		}
	}
	// It still says which site failed and why.
	for _, want := range []string{`"site":"refused"`, `"site":"nodns"`, `"class":"connect: connection refused"`, `"class":"dns: no such host"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s:\n%s", want, out)
		}
	}
}

// newApp wires an app (SQLite in a temporary directory) with the given sites file.
func newApp(t *testing.T, sites string, log *slog.Logger) *app.App {
	t.Helper()
	dir := t.TempDir()
	sitesFile := filepath.Join(dir, "sites.yaml")
	if err := os.WriteFile(sitesFile, []byte(sites), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"CHATPROXY_DATA_DIR":        dir,
		"CHATPROXY_ADDR":            "127.0.0.1:0",
		"CHATPROXY_METRICS_ADDR":    "off",
		"CHATPROXY_SITES_FILE":      sitesFile,
		"JWT_SECRET_KEY":            "session-token-secret-0123456789abcdef",
		"SESSION_SECRET_KEY":        sessionSecret,
		"CHATPROXY_ENCRYPTION_KEYS": "t1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
	}
	c, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(t.Context(), c, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

const sessionSecret = "n8n-shared-secret-0123456789abcdef0123"

func createSession(t *testing.T, base, origin, site string) string {
	t.Helper()
	body := post(t, base+"/api/v1/session/create", origin, "", `{"site_id":"`+site+`"}`)
	var s struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil || s.Token == "" {
		t.Fatalf("session for %s: %v %s", site, err, body)
	}
	return s.Token
}

// post sends a JSON body and returns the whole response body (an SSE stream ends with the reply).
func post(t *testing.T, url, origin, token, body string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

func linesWith(out, s string) string {
	var lines []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, s) {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}
