package httpapi

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/metrics"
	"github.com/chatproxy/chatproxy/internal/site"
)

const widgetPage = "<!doctype html><title>widget app</title>"

// webServer is a Server with only what the web routes use: one site and built assets.
func webServer(t *testing.T, demo bool) *Server {
	t.Helper()
	reg, err := site.NewRegistry([]config.Site{{ID: "shop", AllowedOrigins: []string{"https://shop.example"},
		WebhookURL: "http://n8n/x", Signing: config.Signing{Algorithm: "HS256", TTL: config.Dur(30e9)}}}, bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	web := fstest.MapFS{
		"embed.js":                  {Data: []byte("/* loader */")},
		"widget/index.html":         {Data: []byte(widgetPage)},
		"widget/assets/app-abc1.js": {Data: []byte("/* app */")},
		"demo/index.html":           {Data: []byte("<!doctype html><title>demo shop</title>")},
		"demo/assets/demo-abc2.js":  {Data: []byte("/* demo */")},
	}
	return New(Deps{Config: config.Config{Demo: demo}, Sites: reg, Metrics: metrics.New(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Web: web, WebBuilt: true})
}

func get(t *testing.T, s *Server, target string) *http.Response {
	t.Helper()
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
	return w.Result()
}

// The widget page carries the site's frame-ancestors, so a cache must revalidate it: a changed
// allowed origin takes effect at once, not after the asset default of 5 minutes.
func TestWidgetPageIsNotCached(t *testing.T) {
	s := webServer(t, false)
	resp := get(t, s, "/widget/?site=shop")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache (the handler's, not the asset default)", cc)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors https://shop.example;") {
		t.Errorf("CSP %q", csp)
	}
	if cc := get(t, s, "/widget/assets/app-abc1.js").Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("hashed asset Cache-Control %q", cc)
	}
	if cc := get(t, s, "/embed.js").Header.Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf("embed.js Cache-Control %q", cc)
	}
}

// Every path that reaches an HTML page either serves it with that page's own policy or is
// 404: /widget/index.html/ used to serve the app with only the default frame-ancestors 'none'
// (no script-src, no connect-src), and /demo/index.html/ the demo page likewise.
func TestHTMLPathVariantsKeepTheirPolicy(t *testing.T) {
	s := webServer(t, true)
	variants := []string{
		"/widget/index.html/?site=shop", "/widget//index.html?site=shop", "/widget/index.html%2F?site=shop",
		"/widget/./index.html?site=shop", "/widget/assets/../index.html?site=shop", "/widget/index.html?site=shop",
		"/widget/assets/app-abc1.js/", "/widget/assets//app-abc1.js",
		"/demo/index.html/", "/demo/index.html", "/demo//index.html", "/demo/assets/../index.html",
	}
	for _, target := range variants {
		resp := get(t, s, target)
		for hops := 0; resp.StatusCode/100 == 3 && hops < 5; hops++ {
			loc := resp.Header.Get("Location")
			if !strings.HasPrefix(loc, "/") {
				loc = "/widget/" + loc // relative redirects only ever point inside the same directory here
			}
			resp = get(t, s, loc)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusNotFound {
			continue
		}
		csp := resp.Header.Get("Content-Security-Policy")
		switch {
		case strings.Contains(string(body), "widget app"):
			if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors https://shop.example") {
				t.Errorf("%s served the widget app with CSP %q", target, csp)
			}
		case strings.Contains(string(body), "demo shop"):
			if !strings.Contains(csp, "frame-src 'self'") {
				t.Errorf("%s served the demo page with CSP %q", target, csp)
			}
		case resp.StatusCode != 200:
			t.Errorf("%s: status %d", target, resp.StatusCode)
		}
	}
}
