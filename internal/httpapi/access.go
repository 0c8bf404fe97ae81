package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/origin"
	"github.com/chatproxy/chatproxy/internal/session"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
)

// CookieName is the session cookie (the seed backend's name).
const CookieName = "chat_session_id"

// publicOrigin parses CHATPROXY_PUBLIC_URL into the origin browsers use to reach this server;
// ok is false when it is not set.
func publicOrigin(publicURL string) (origin.Origin, bool) {
	u, err := url.Parse(publicURL)
	if publicURL == "" || err != nil {
		return origin.Origin{}, false
	}
	o, err := origin.Parse(u.Scheme + "://" + u.Host)
	return o, err == nil
}

// sameOrigin reports a request from a page on this server (the widget iframe, the demo page,
// or the seed's widget served with the API on one host). Page scripts cannot set
// Sec-Fetch-Site, but a page on an attacker's name that resolves to this server (DNS
// rebinding) is same-origin with it too, so the Host must also be one a page of ours is served
// on: the host of CHATPROXY_PUBLIC_URL (without it, localhost or an IP address, which no one
// can rebind), or a host of the site's own allowed origins (st may be nil).
func (s *Server) sameOrigin(r *http.Request, st *site.Site) bool {
	if r.Header.Get("Sec-Fetch-Site") != "same-origin" {
		return false
	}
	host, port, ok := s.requestHost(r)
	if !ok {
		return false
	}
	if s.ownHost(host, port) {
		return true
	}
	return st != nil && st.Origins.AllowsHost(host)
}

// ownHost reports whether host (lower-case, IPv6 without brackets) and port (0 = none given)
// name this server.
func (s *Server) ownHost(host string, port int) bool {
	if p, ok := s.public, s.publicSet; ok {
		return host == p.Host && (port == p.Port || (port == 0 && p.Port == origin.DefaultPort(p.Scheme)))
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

// requestHost returns the host the browser asked for: the Host header, or X-Forwarded-Host
// when the peer is a trusted proxy and sent exactly one. port is 0 when none is given.
func (s *Server) requestHost(r *http.Request) (host string, port int, ok bool) {
	h := r.Host
	if fwd := r.Header.Values("X-Forwarded-Host"); len(fwd) == 1 && !strings.Contains(fwd[0], ",") && s.fromTrustedProxy(r) {
		h = strings.TrimSpace(fwd[0])
	}
	name, p := h, ""
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		if name, p, ok = cutHostPort(h); !ok {
			return "", 0, false
		}
	}
	host, err := origin.ParseHost(name)
	if err != nil {
		return "", 0, false
	}
	if p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return "", 0, false
		}
	}
	return host, port, true
}

// cutHostPort splits "host:port" and "[v6]:port", keeping the brackets ParseHost expects.
func cutHostPort(h string) (name, port string, ok bool) {
	name, port, err := net.SplitHostPort(h)
	if err != nil || port == "" {
		return "", "", false
	}
	if strings.Contains(name, ":") {
		name = "[" + name + "]"
	}
	return name, port, true
}

func (s *Server) fromTrustedProxy(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && s.IPs != nil && s.IPs.IsTrusted(ap.Addr().Unmap())
}

// checkOrigin enforces the browser-origin rule for site st: the Origin must be one of the site's
// allowed origins, or the request must come from this server's own pages. A "null" Origin is
// refused; a missing one only passes on a same-origin request.
func (s *Server) checkOrigin(r *http.Request, st *site.Site) error {
	o := r.Header.Get("Origin")
	switch {
	case o == "null":
		return apierr.OriginNotAllowed()
	case o != "" && st.Origins.Allows(o):
		return nil
	case s.sameOrigin(r, st):
		return nil
	}
	return apierr.OriginNotAllowed()
}

// setCORS answers a cross-origin request from an allowed origin. Only allowed origins are ever
// echoed (in the canonical form, the only one allowed), with Vary: Origin so caches keep
// answers apart.
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
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
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
	ctx, span := s.Tracer.Start(r.Context(), spanAuthenticate)
	sess, st, err := s.authenticateIn(ctx, r)
	endAuthSpan(span, sess.SiteID, sess.ID, err)
	return sess, st, err
}

// authenticateIn is authenticate's work, under its span in ctx.
func (s *Server) authenticateIn(ctx context.Context, r *http.Request) (store.Session, *site.Site, error) {
	token, kind := credentials(r)
	if token == "" {
		return store.Session{}, nil, apierr.Unauthorized()
	}
	sess, err := s.Sessions.Authenticate(ctx, token, kind)
	if err != nil {
		return store.Session{}, nil, err
	}
	st, ok := s.Sites.Get(sess.SiteID)
	if !ok {
		return store.Session{}, nil, apierr.Unauthorized()
	}
	if err := s.checkOrigin(r, st); err != nil {
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
