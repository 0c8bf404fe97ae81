package httpapi

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/chatproxy/chatproxy/internal/apierr"
)

// siteConfig serves the public part of a site's configuration, cacheable with an ETag.
func (s *Server) siteConfig(w http.ResponseWriter, r *http.Request) error {
	s.setCORS(w, r)
	st, ok := s.Sites.Get(r.PathValue("site_id"))
	if !ok {
		return apierr.SiteNotFound()
	}
	h := w.Header()
	h.Set("ETag", st.PublicETag)
	h.Set("Cache-Control", "public, max-age=60, must-revalidate")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, st.PublicETag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(st.PublicJSON)
	return nil
}

func writeJSONNoCacheOverride(w http.ResponseWriter, v any) {
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

const notBuiltPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>chatproxy: widget not built</title></head>
<body><h1>The chat widget is not built</h1><p>This binary was built without the widget assets.
Run <code>make build</code> (it runs <code>npm ci &amp;&amp; npm run build</code> in <code>web/widget</code>) and start it again.
The API works without them.</p></body></html>`

// serveAsset writes one embedded file with caching fitting its kind: hashed assets are
// immutable. A Cache-Control the caller set wins (the widget page must be revalidated). Only
// the canonical name of a file is served: a variant such as "widget/index.html/" would reach
// an HTML page without the policy its own route gives it, so it is 404.
func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request, name string) error {
	if !s.WebBuilt || s.Web == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(notBuiltPage))
		return nil
	}
	if path.Clean("/" + name)[1:] != name {
		return apierr.NotFound()
	}
	f, err := fs.Stat(s.Web, name)
	if err != nil || f.IsDir() {
		return apierr.NotFound()
	}
	if w.Header().Get("Cache-Control") == "" {
		if strings.Contains(name, "/assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=300")
		}
	}
	http.ServeFileFS(w, r, s.Web, name)
	return nil
}

func (s *Server) embedJS(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
	return s.serveAsset(w, r, "embed.js")
}

// widget serves the iframe app. Its page may be framed only by the site's own origins.
func (s *Server) widget(w http.ResponseWriter, r *http.Request) error {
	rest := strings.TrimPrefix(r.URL.Path, "/widget/")
	if rest != "" && rest != "index.html" {
		return s.serveAsset(w, r, "widget/"+rest)
	}
	st, ok := s.Sites.Get(r.URL.Query().Get("site"))
	if !ok {
		return apierr.SiteNotFound()
	}
	w.Header().Set("Content-Security-Policy", "frame-ancestors "+st.Origins.FrameAncestors()+
		"; default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'")
	w.Header().Del("Cross-Origin-Opener-Policy")
	w.Header().Set("Cache-Control", "no-cache")
	return s.serveAsset(w, r, "widget/index.html")
}

// demoPage serves the fake shop page that embeds the widget (demo mode).
func (s *Server) demoPage(w http.ResponseWriter, r *http.Request) error {
	if !s.Config.Demo {
		return apierr.NotFound()
	}
	w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'; default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; object-src 'none'; base-uri 'none'")
	return s.serveAsset(w, r, "demo/index.html")
}

func (s *Server) demoAsset(w http.ResponseWriter, r *http.Request) error {
	if !s.Config.Demo {
		return apierr.NotFound()
	}
	return s.serveAsset(w, r, strings.TrimPrefix(r.URL.Path, "/"))
}
