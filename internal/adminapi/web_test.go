package adminapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/chatproxy/chatproxy/internal/openapi/openapitest"

	"github.com/chatproxy/chatproxy/internal/adminapi"
	"github.com/chatproxy/chatproxy/internal/config"
)

// checkStrictCSP: no inline script anywhere, never framed.
func checkStrictCSP(t *testing.T, what string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") ||
		!(strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "default-src 'none'")) {
		t.Errorf("%s: CSP %q", what, csp)
	}
	if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("%s: headers %v", what, h)
	}
}

func TestCSPOnEverythingUnderAdmin(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.account("o@example.com", "owner")
	c := h.client().mustLogin("o@example.com")
	for _, p := range []struct{ method, path string }{
		{"GET", "/admin/"}, {"GET", "/admin/setup?token=x"}, {"GET", "/admin/sites/shop"}, {"GET", "/admin/api/v1/me"},
		{"GET", "/admin/api/v1/nope"}, {"POST", "/admin/api/v1/login"}, {"DELETE", "/admin/whatever"}, {"GET", "/admin/assets/x.js"},
	} {
		r := c.do(p.method, p.path, "")
		checkStrictCSP(t, p.method+" "+p.path, r.header)
	}
	r := c.do("GET", "/admin/", "")
	if r.status != 503 || !strings.Contains(string(r.body), "console is not built") || strings.Contains(string(r.body), "<script") {
		t.Fatalf("not-built page: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/admin/api/v1/nope", ""); r.status != 404 || r.code() != "not_found" {
		t.Fatalf("unknown API path: %d %s", r.status, r.body)
	}
	req, _ := http.NewRequest("GET", h.ts.URL+"/admin", nil)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := openapitest.Client(t, noFollow).Do(req)
	if err != nil || resp.StatusCode != 301 || resp.Header.Get("Location") != "/admin/" {
		t.Fatalf("/admin: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}

func TestServesBuiltConsole(t *testing.T) {
	web := fstest.MapFS{
		"admin/index.html":       {Data: []byte(`<!doctype html><script type="module" src="/admin/assets/app-1.js"></script>`)},
		"admin/assets/app-1.js":  {Data: []byte(`console.log(1)`)},
		"widget/index.html":      {Data: []byte(`widget`)},
		"admin/assets/style.css": {Data: []byte(`body{}`)},
	}
	cfg := config.Default()
	cfg.PublicURL = "https://chat.example.com"
	srv := adminapi.New(adminapi.Deps{Config: cfg, Web: web, WebBuilt: true})
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}
	for _, path := range []string{"/admin/", "/admin/setup?token=abc", "/admin/conversations/123"} {
		rec := get(path)
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != 200 || !strings.Contains(string(body), "app-1.js") || rec.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: %d %s", path, rec.Code, body)
		}
		checkStrictCSP(t, path, rec.Header())
		if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "frame-src 'self' https://chat.example.com") {
			t.Errorf("%s: the live preview's frame source is missing: %s", path, rec.Header().Get("Content-Security-Policy"))
		}
	}
	if rec := get("/admin/assets/app-1.js"); rec.Code != 200 || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("asset: %d %v", rec.Code, rec.Header())
	}
	for _, path := range []string{"/admin/assets/missing.js", "/admin/../widget/index.html", "/admin/assets/../../widget/index.html"} {
		if rec := get(path); rec.Code == 200 && strings.Contains(rec.Body.String(), "widget") {
			t.Errorf("%s served a file outside the console: %d", path, rec.Code)
		}
	}
}

func TestPreviewPageIsFramableByTheConsoleOnly(t *testing.T) {
	web := fstest.MapFS{
		"admin/index.html":   {Data: []byte(`<!doctype html><meta name="chatproxy-public-url" content="" /><script type="module" src="/admin/assets/app-1.js"></script>`)},
		"admin/preview.html": {Data: []byte(`<!doctype html><script type="module" src="/admin/assets/preview-1.js"></script>`)},
	}
	srv := adminapi.New(adminapi.Deps{Config: config.Default(), Web: web, WebBuilt: true})
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/preview", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "preview-1.js") {
		t.Fatalf("preview: %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(csp, "frame-ancestors 'self'") || strings.Contains(csp, "frame-ancestors 'none'") ||
		!strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "connect-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("preview CSP %q", csp)
	}
	if got := rec.Header().Get("X-Frame-Options"); got != "SAMEORIGIN" {
		t.Errorf("preview X-Frame-Options %q", got)
	}
	// Every other page stays unframable.
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/preview/x", nil))
	checkStrictCSP(t, "/admin/preview/x", rec.Header())
}

func TestIndexNamesThePublicOrigin(t *testing.T) {
	web := fstest.MapFS{"admin/index.html": {Data: []byte(`<head><meta name="chatproxy-public-url" content="" /></head>`)}}
	page := func(cfg config.Config, host string) string {
		srv := adminapi.New(adminapi.Deps{Config: cfg, Web: web, WebBuilt: true})
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/admin/sites", nil)
		req.Host = host
		srv.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("index: %d %v", rec.Code, rec.Header())
		}
		return rec.Body.String()
	}
	cfg := config.Default()
	cfg.PublicURL = "https://chat.example.com/base"
	if got := page(cfg, "127.0.0.1:8081"); !strings.Contains(got, `content="https://chat.example.com"`) {
		t.Errorf("with CHATPROXY_PUBLIC_URL: %s", got)
	}
	if got := page(config.Default(), "127.0.0.1:8081"); !strings.Contains(got, `content=""`) {
		t.Errorf("own listener, no public URL: the origin is unknown, got %s", got)
	}
	pub := config.Default()
	pub.AdminAddr = config.AdminOnPublic
	if got := page(pub, `shop.example"><script>`); strings.Contains(got, "<script>") || !strings.Contains(got, `content="http://shop.example&#34;&gt;&lt;script&gt;"`) {
		t.Errorf("on the public listener the request's origin is used, escaped: %s", got)
	}
}
