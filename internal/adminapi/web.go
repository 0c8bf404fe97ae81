package adminapi

import (
	"bytes"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
)

// Paths of the console app inside Deps.Web (internal/webui's dist).
const (
	webIndex   = "admin/index.html"
	webAssets  = "admin/assets/"
	webPreview = "admin/preview.html" // served at /admin/preview
)

// previewCSP is the widget preview page's policy (the site editor frames it): like the app's,
// but framable by the console's own pages only, no network at all (the draft arrives by
// postMessage), and https images for the avatar a draft may name.
const previewCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; font-src 'self'; " +
	"connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

// publicURLMeta is the placeholder in the app's index.html that web fills with chatproxy's
// public origin, which the Install page writes into the embed snippet.
const publicURLMeta = `<meta name="chatproxy-public-url" content="" />`

// apiCSP is for JSON answers: nothing may load, nothing may frame.
const apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// securityHeaders sets what every console response carries.
func (s *Server) securityHeaders(h http.Header, r *http.Request) {
	h.Set("Content-Security-Policy", apiCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// The setup link carries its token in the query: never leak it in a Referer.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if r.TLS != nil || s.Config.AdminHTTPS() {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
}

// pageCSP is the web app's policy: its own scripts and styles only (no inline script or
// style), no plugins, not framable. The site editor's live preview frames the widget, which
// the public listener serves: its origin is allowed as a frame source when it is known.
func (s *Server) pageCSP() string {
	frames := "'self'"
	if u, err := url.Parse(s.Config.PublicURL); err == nil && u.Host != "" {
		frames += " " + u.Scheme + "://" + u.Host
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
		"connect-src 'self'; frame-src " + frames + "; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

func (s *Server) webRoutes() {
	s.register("GET /admin", func(w http.ResponseWriter, r *http.Request) error {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		return nil
	})
	s.register("GET /admin/{path...}", s.web)
	s.register(Prefix, func(http.ResponseWriter, *http.Request) error { return apierr.NotFound() })
}

const notBuiltPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>chatproxy: console not built</title></head>
<body><h1>The operator console is not built</h1><p>This binary was built without the console's web app.
Run <code>make build</code> (it builds <code>web/admin</code>) and start it again.
The console API at <code>/admin/api/v1/</code> works without it.</p></body></html>`

// web serves the console app: hashed assets as files, every other path the app's index (the
// app routes itself, e.g. /admin/setup?token=…).
func (s *Server) web(w http.ResponseWriter, r *http.Request) error {
	if strings.HasPrefix(r.PathValue("path"), "api/") {
		return apierr.NotFound() // an API path no route matched
	}
	w.Header().Set("Content-Security-Policy", s.pageCSP())
	if !s.WebBuilt || s.Web == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(notBuiltPage))
		return nil
	}
	name := path.Clean("/admin/" + r.PathValue("path"))[1:]
	if name == "admin/preview" {
		w.Header().Set("Content-Security-Policy", previewCSP)
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, s.Web, webPreview)
		return nil
	}
	if strings.HasPrefix(name, webAssets) {
		if st, err := fs.Stat(s.Web, name); err != nil || st.IsDir() {
			return apierr.NotFound()
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		http.ServeFileFS(w, r, s.Web, name)
		return nil
	}
	w.Header().Set("Cache-Control", "no-cache")
	page, err := fs.ReadFile(s.Web, webIndex)
	if err != nil {
		return err
	}
	meta := `<meta name="chatproxy-public-url" content="` + html.EscapeString(s.publicOrigin(r)) + `" />`
	page = bytes.Replace(page, []byte(publicURLMeta), []byte(meta), 1)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(page))
	return nil
}

// publicOrigin is where shops load embed.js from: CHATPROXY_PUBLIC_URL, else this request's
// own origin when the console shares the public listener; "" when unknown (the Install page
// then asks the operator).
func (s *Server) publicOrigin(r *http.Request) string {
	if u, err := url.Parse(s.Config.PublicURL); err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") {
		return u.Scheme + "://" + u.Host
	}
	if !s.Config.AdminOnPublicListener() || r.Host == "" {
		return ""
	}
	if origin := s.Config.AdminOrigin(); origin != "" {
		return origin
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
