package httpapi

import (
	"net/http"
	"strings"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/session"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
)

// CookieName is the session cookie (the seed backend's name).
const CookieName = "chat_session_id"

// sameOrigin reports a request from a page on this server itself (the widget iframe, the demo
// page). Sec-Fetch-Site cannot be set by page scripts, so a browser cannot fake it.
func sameOrigin(r *http.Request) bool {
	return r.Header.Get("Sec-Fetch-Site") == "same-origin"
}

// checkOrigin enforces the browser-origin rule for site st: the Origin must be one of the site's
// allowed origins, or the request must come from this server's own pages. A "null" Origin is
// refused; a missing one only passes on a same-origin request.
func checkOrigin(r *http.Request, st *site.Site) error {
	o := r.Header.Get("Origin")
	switch {
	case o == "null":
		return apierr.OriginNotAllowed()
	case o != "" && st.Origins.Allows(o):
		return nil
	case sameOrigin(r):
		return nil
	}
	return apierr.OriginNotAllowed()
}

// setCORS answers a cross-origin request from an allowed origin. Only allowed origins are ever
// echoed, with Vary: Origin so caches keep answers apart.
func (s *Server) setCORS(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	h.Add("Vary", "Origin")
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return false
	}
	if _, ok := s.Sites.ForOrigin(o); !ok {
		return false
	}
	h.Set("Access-Control-Allow-Origin", o)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Expose-Headers", "Retry-After, RateLimit, RateLimit-Policy, X-Request-Id")
	return true
}

// preflight answers CORS preflights for the API.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) error {
	if !s.setCORS(w, r) {
		return apierr.OriginNotAllowed()
	}
	h := w.Header()
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, Last-Event-ID, Idempotency-Key")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// credentials returns the token and its kind: the bearer header wins over the cookie.
func credentials(r *http.Request) (token, kind string) {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t), session.KindBearer
		}
		return "", ""
	}
	if c, err := r.Cookie(CookieName); err == nil {
		return c.Value, session.KindCookie
	}
	return "", ""
}

// authenticate resolves the session of a request and checks that the request's origin belongs
// to the session's site (a token made for site A is refused on site B).
func (s *Server) authenticate(r *http.Request) (store.Session, *site.Site, error) {
	token, kind := credentials(r)
	if token == "" {
		return store.Session{}, nil, apierr.Unauthorized()
	}
	sess, err := s.Sessions.Authenticate(r.Context(), token, kind)
	if err != nil {
		return store.Session{}, nil, err
	}
	st, ok := s.Sites.Get(sess.SiteID)
	if !ok {
		return store.Session{}, nil, apierr.Unauthorized()
	}
	if err := checkOrigin(r, st); err != nil {
		if o := r.Header.Get("Origin"); o != "" && o != "null" {
			if _, other := s.Sites.ForOrigin(o); other {
				return store.Session{}, nil, apierr.SiteMismatch()
			}
		}
		return store.Session{}, nil, err
	}
	return sess, st, nil
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	c := &http.Cookie{Name: CookieName, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true}
	if r.TLS != nil || s.publicHTTPS {
		c.Secure, c.SameSite, c.Partitioned = true, http.SameSiteNoneMode, true
	} else {
		c.SameSite = http.SameSiteLaxMode
	}
	http.SetCookie(w, c)
}
