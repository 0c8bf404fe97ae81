package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/config"
)

// startApp runs a demo-mode app with the console at adminAddr and returns it with its
// listeners; it stops when the test ends.
func startApp(t *testing.T, adminAddr string) (*App, Listeners) {
	return startAppLogging(t, adminAddr, io.Discard)
}

func startAppLogging(t *testing.T, adminAddr string, logTo io.Writer) (*App, Listeners) {
	t.Helper()
	vars := map[string]string{
		"CHATPROXY_DATA_DIR":        t.TempDir(),
		"CHATPROXY_ADDR":            "127.0.0.1:0",
		"CHATPROXY_METRICS_ADDR":    "off",
		"CHATPROXY_ADMIN_ADDR":      adminAddr,
		"JWT_SECRET_KEY":            strings.Repeat("j", 32),
		"CHATPROXY_ENCRYPTION_KEYS": "t1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
	}
	c, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if err := config.EnsureSecrets(&c); err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), c, slog.New(slog.NewJSONHandler(logTo, nil)))
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
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Serve did not return after shutdown")
		}
		a.Close()
	})
	return a, l
}

func status(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestConsoleOnItsOwnListener(t *testing.T) {
	logs := &syncBuffer{}
	a, l := startAppLogging(t, "127.0.0.1:0", logs)
	if l.Admin == nil {
		t.Fatal("no console listener")
	}
	public, admin := "http://"+l.Public.Addr().String(), "http://"+l.Admin.Addr().String()
	for _, path := range []string{"/admin/", "/admin/api/v1/me", "/admin/api/v1/login", "/admin/setup?token=x", "/admin"} {
		if code, _ := status(t, "GET", public+path, ""); code != 404 {
			t.Errorf("public listener GET %s: %d, want 404", path, code)
		}
	}
	if code, _ := status(t, "POST", public+"/admin/api/v1/login", `{"email":"a@example.com","password":"x"}`); code != 404 {
		t.Errorf("public listener POST login: %d, want 404", code)
	}
	if code, _ := status(t, "GET", admin+"/admin/api/v1/me", ""); code != 401 {
		t.Errorf("console listener /me: %d, want 401", code)
	}
	if code, _ := status(t, "GET", admin+"/health", ""); code != 404 {
		t.Errorf("the console listener serves the chat API: /health %d", code)
	}
	if code, _ := status(t, "GET", public+"/health", ""); code != 200 {
		t.Errorf("public /health: %d", code)
	}
	link := a.SetupURL(l)
	if !strings.HasPrefix(link, admin+"/admin/setup?token=") {
		t.Fatalf("setup link %q does not name the console listener", link)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), `"setup_url":"`+link+`"`) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), `"setup_url":"`+link+`"`) {
		t.Fatalf("start-up did not log the setup link; log:\n%s", logs.String())
	}
	token := link[strings.Index(link, "token=")+len("token="):]
	code, body := status(t, "POST", admin+"/admin/api/v1/setup", `{"token":"`+token+`","email":"owner@example.com","password":"correct horse battery"}`)
	if code != 200 || !strings.Contains(body, `"role":"owner"`) {
		t.Fatalf("setup through the link's token: %d %s", code, body)
	}
}

func TestConsoleOnThePublicListener(t *testing.T) {
	a, l := startApp(t, "public")
	if l.Admin != nil {
		t.Fatal("a console listener was opened in public mode")
	}
	public := "http://" + l.Public.Addr().String()
	if code, _ := status(t, "GET", public+"/admin/api/v1/me", ""); code != 401 {
		t.Errorf("/admin/api/v1/me on the public listener: %d, want 401", code)
	}
	// make test builds the console app before the Go tests, so its page is served here.
	if code, body := status(t, "GET", public+"/admin/", ""); code != 200 || !strings.Contains(body, "/admin/assets/") {
		t.Errorf("/admin/ on the public listener: %d", code)
	}
	if code, _ := status(t, "GET", public+"/health", ""); code != 200 {
		t.Errorf("/health: %d", code)
	}
	if link := a.SetupURL(l); !strings.HasPrefix(link, public+"/admin/setup?token=") {
		t.Errorf("setup link %q", link)
	}
}

func TestConsoleOff(t *testing.T) {
	a, l := startApp(t, "off")
	if l.Admin != nil || a.Admin != nil || a.SetupURL(l) != "" {
		t.Fatal("the console runs although it is off")
	}
	if code, _ := status(t, "GET", "http://"+l.Public.Addr().String()+"/admin/api/v1/me", ""); code != 404 {
		t.Errorf("/admin/api/v1/me with the console off: %d", code)
	}
}

func TestConsoleWarning(t *testing.T) {
	for _, tc := range []struct {
		addr, adminURL, publicURL string
		warn                      bool
	}{
		{"127.0.0.1:8081", "", "", false},
		{"[::1]:8081", "", "", false},
		{"localhost:8081", "", "", false},
		{"off", "", "", false},
		{"0.0.0.0:8081", "", "", true},
		{"10.0.0.5:8081", "", "", true},
		{"10.0.0.5:8081", "https://console.example.com", "", false},
		{"public", "", "http://chat.example.com", true},
		{"public", "", "https://chat.example.com", false},
	} {
		c := config.Default()
		c.AdminAddr, c.AdminURL, c.PublicURL = tc.addr, tc.adminURL, tc.publicURL
		if got := consoleWarning(c) != ""; got != tc.warn {
			t.Errorf("%+v: warning %v, want %v", tc, got, tc.warn)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server goroutines that log into it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
