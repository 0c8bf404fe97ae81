package cli

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProbeAddrDialsLoopbackForWildcards(t *testing.T) {
	for listen, want := range map[string]string{
		":8080":          "127.0.0.1:8080",
		"0.0.0.0:9000":   "127.0.0.1:9000",
		"[::]:8080":      "[::1]:8080",
		"127.0.0.2:8081": "127.0.0.2:8081",
		"localhost:80":   "localhost:80",
	} {
		if got := probeAddr(listen); got != want {
			t.Errorf("probeAddr(%q) = %q, want %q", listen, got, want)
		}
	}
}

// healthTarget serves /health/live with status on a loopback port and points CHATPROXY_ADDR
// at it, in an empty working directory (no .env).
func healthTarget(t *testing.T, status int) *httptest.Server {
	t.Helper()
	t.Chdir(t.TempDir())
	t.Setenv("CHATPROXY_DATA_DIR", t.TempDir())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health/live" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("CHATPROXY_ADDR", srv.Listener.Addr().String())
	return srv
}

func TestHealthExitsZeroWhenLive(t *testing.T) {
	healthTarget(t, http.StatusOK)
	if code, out, errOut := run(t, "health"); code != 0 || strings.TrimSpace(out) != "ok" {
		t.Fatalf("health: %d %q %q", code, out, errOut)
	}
}

func TestHealthExitsOneWhenNotLive(t *testing.T) {
	healthTarget(t, http.StatusServiceUnavailable)
	if code, _, errOut := run(t, "health"); code != 1 || !strings.Contains(errOut, "503") {
		t.Fatalf("health on 503: %d %q", code, errOut)
	}
}

func TestHealthExitsOneWhenNothingListens(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("CHATPROXY_DATA_DIR", t.TempDir())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // the port is now (very likely) closed
	t.Setenv("CHATPROXY_ADDR", addr)
	if code, _, _ := run(t, "health"); code != 1 {
		t.Fatalf("health with nothing listening: %d", code)
	}
}

func TestHealthExitsOneOnBadConfig(t *testing.T) {
	healthTarget(t, http.StatusOK)
	t.Setenv("LOG_LEVEL", "chatty")
	if code, _, errOut := run(t, "health"); code != 1 || !strings.Contains(errOut, "LOG_LEVEL") {
		t.Fatalf("health with a bad config: %d %q", code, errOut)
	}
}
