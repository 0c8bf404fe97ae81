package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
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
	return "unmatched"
}

// responseWriter records the status and whether anything was written. Unwrap lets
// http.ResponseController reach the real writer for Flush and write deadlines.
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

// outer is the middleware every request passes: request id, security headers, panic recovery,
// access log (never bodies, tokens or message text) and metrics.
func (s *Server) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{id: newRequestID()}
		ctx, span := s.startRequestSpan(context.WithValue(r.Context(), infoKey, ri), r)
		r = r.WithContext(ctx)
		rw := &responseWriter{ResponseWriter: w, status: http.StatusOK}
		rw.Header().Set("X-Request-Id", ri.id)
		s.securityHeaders(rw.Header(), r)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(r.Context(), "panic", "request_id", ri.id, "route", ri.route, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if !rw.wrote {
					s.writeError(rw, r, fmt.Errorf("panic: %v", p))
				}
			}
			d := time.Since(start)
			s.metrics.ObserveHTTP(routeOf(r), rw.status, d)
			s.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
				slog.String("request_id", ri.id), slog.String("method", r.Method), slog.String("route", routeOf(r)),
				slog.Int("status", rw.status), slog.Duration("duration", d))
			endRequestSpan(span, r, ri, rw.status)
		}()
		next.ServeHTTP(rw, r)
	})
}

// securityHeaders sets the headers every response carries. Routes that may be framed (the
// widget page) replace the CSP.
func (s *Server) securityHeaders(h http.Header, r *http.Request) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.TLS != nil || s.publicHTTPS {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
}

// handle registers a route whose handler returns an error.
func (s *Server) handle(pattern string, h handlerFunc) {
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
