package adminapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/console"
)

type ctxKey int

const infoKey ctxKey = 1

// reqInfo travels with each request: its id and the route pattern that served it.
type reqInfo struct {
	id    string
	route string
}

func requestID(r *http.Request) string {
	if ri, ok := r.Context().Value(infoKey).(*reqInfo); ok {
		return ri.id
	}
	return ""
}

func routeOf(r *http.Request) string {
	if ri, ok := r.Context().Value(infoKey).(*reqInfo); ok && ri.route != "" {
		return ri.route
	}
	return "admin unmatched"
}

// responseWriter records the status and whether anything was written.
type responseWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *responseWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// outer is the middleware every console request passes: request id, security headers,
// panic recovery, metrics and a debug access log (never bodies, cookies or tokens).
func (s *Server) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{id: newRequestID()}
		r = r.WithContext(context.WithValue(r.Context(), infoKey, ri))
		rw := &responseWriter{ResponseWriter: w, status: http.StatusOK}
		rw.Header().Set("X-Request-Id", ri.id)
		s.securityHeaders(rw.Header(), r)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Log.Error("panic", "request_id", ri.id, "route", ri.route, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if !rw.wrote {
					s.writeError(rw, r, fmt.Errorf("panic: %v", p))
				}
			}
			d := time.Since(start)
			s.Metrics.ObserveHTTP(routeOf(r), rw.status, d)
			s.Log.LogAttrs(r.Context(), slog.LevelDebug, "request",
				slog.String("request_id", ri.id), slog.String("method", r.Method), slog.String("route", routeOf(r)),
				slog.Int("status", rw.status), slog.Duration("duration", d))
		}()
		next.ServeHTTP(rw, r)
	})
}

// HandlerFunc is an authenticated route's handler: p is the signed-in caller, never nil.
type HandlerFunc func(w http.ResponseWriter, r *http.Request, p *console.Principal) error

// PublicFunc is the handler of a route without sign-in (login, setup).
type PublicFunc func(w http.ResponseWriter, r *http.Request) error

// RouteOption adjusts a route.
type RouteOption func(*routeSpec)

type routeSpec struct {
	deniedAction audit.Action
	deniedTarget string
	hasDenied    bool
}

// DeniedAs records a caller refused by the route's permission as a denied attempt of action
// on targetType (target id from the {id} path value, when there is one).
func DeniedAs(action audit.Action, targetType string) RouteOption {
	return func(r *routeSpec) { r.deniedAction, r.deniedTarget, r.hasDenied = action, targetType, true }
}

// handle registers an authenticated API route. The caller is authenticated (401), a
// cookie-authenticated change must pass the CSRF check (403 csrf), and the role must grant
// perm (403 forbidden) before h runs; h checks the site scope itself.
func (s *Server) handle(pattern string, perm console.Permission, h HandlerFunc, opts ...RouteOption) {
	if perm == console.PermPublic {
		panic("adminapi: use public() for " + pattern)
	}
	var spec routeSpec
	for _, o := range opts {
		o(&spec)
	}
	s.routes = append(s.routes, Route{Pattern: pattern, Perm: perm})
	s.register(pattern, func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.authenticate(r)
		if err != nil {
			return err
		}
		if p.Via == console.ViaCookie && !safeMethod(r.Method) {
			if err := s.checkCSRF(r, p); err != nil {
				return err
			}
		}
		if !p.Can(perm) {
			if spec.hasDenied {
				s.record(r, p, audit.Entry{Action: spec.deniedAction, Result: audit.Denied, TargetType: spec.deniedTarget, TargetID: r.PathValue("id")})
			}
			return apierr.Forbidden("Your role does not allow this.")
		}
		return h(w, r, p)
	})
}

// public registers an API route that needs no sign-in. A browser request to it from another
// origin is refused (sign-in CSRF).
func (s *Server) public(pattern string, h PublicFunc) {
	s.routes = append(s.routes, Route{Pattern: pattern, Perm: console.PermPublic})
	s.register(pattern, func(w http.ResponseWriter, r *http.Request) error {
		if o := r.Header.Get("Origin"); o != "" && !s.originAllowed(r, o) {
			return apierr.CSRF()
		}
		return h(w, r)
	})
}

// register adds pattern to the mux with the route label and error handling.
func (s *Server) register(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
	s.patterns = append(s.patterns, pattern)
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ri, ok := r.Context().Value(infoKey).(*reqInfo); ok {
			ri.route = pattern
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}))
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// authenticate reads the bearer token, else the session cookie. A request that sends an
// Authorization header is judged by it alone.
func (s *Server) authenticate(r *http.Request) (*console.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, apierr.Unauthorized()
		}
		return s.Console.AuthenticateToken(r.Context(), strings.TrimSpace(token))
	}
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil, apierr.Unauthorized()
	}
	return s.Console.AuthenticateCookie(r.Context(), c.Value)
}

// checkCSRF wants the session's token in X-CSRF-Token and the console's own Origin.
func (s *Server) checkCSRF(r *http.Request, p *console.Principal) error {
	if !p.CheckCSRF(r.Header.Get("X-CSRF-Token")) || !s.originAllowed(r, r.Header.Get("Origin")) {
		return apierr.CSRF()
	}
	return nil
}

// originAllowed: the Origin is the console's own (CHATPROXY_ADMIN_URL, or the public URL when
// sharing the public listener, else the scheme and host this request reached).
func (s *Server) originAllowed(r *http.Request, origin string) bool {
	if origin == "" || origin == "null" {
		return false
	}
	if want := s.Config.AdminOrigin(); want != "" {
		return strings.EqualFold(origin, want)
	}
	return strings.EqualFold(origin, s.scheme(r)+"://"+r.Host)
}

// scheme is how the browser reached this request: TLS here, or https per a trusted proxy.
func (s *Server) scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if r.Header.Get("X-Forwarded-Proto") == "https" && s.IPs.IsTrusted(peerAddr(r)) {
		return "https"
	}
	return "http"
}

func newRequestID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
