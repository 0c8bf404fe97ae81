// Package adminapi serves the operator console: everything under /admin/.
//
// The API lives under /admin/api/v1/ and the web app (web/admin's build, embedded by
// internal/webui) at /admin/. Every API route is registered with the permission it needs
// (console.Permission); the middleware authenticates the caller (cookie session or bearer
// API token), enforces CSRF on cookie-authenticated changes and the role, and hands the
// handler a *console.Principal for the site-scope checks only the handler can make. Errors
// come from the apierr catalogue; audit entries are written with Server.record and
// Server.deny. It runs on its own listener, or on the public one when configured so.
package adminapi

import (
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/clientip"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/conversations"
	"github.com/chatproxy/chatproxy/internal/metrics"
	"github.com/chatproxy/chatproxy/internal/privacy"
	"github.com/chatproxy/chatproxy/internal/sitecfg"
)

// Prefix is where the console lives; APIPrefix is where its API lives.
const (
	Prefix    = "/admin/"
	APIPrefix = "/admin/api/v1/"
)

// CookieName is the console's session cookie.
const CookieName = "chatproxy_admin"

// Deps are what the console's HTTP layer calls.
type Deps struct {
	Config  config.Config
	Console *console.Service
	Audit   *audit.Log
	Sites   *sitecfg.Service // sites managed at runtime
	Privacy *privacy.Service // data subject requests (find, export, erase)
	// Analytics answers the dashboard from rollups (nil: the analytics routes answer 503).
	Analytics *analytics.Query
	// Conversations reads and deletes visitors' conversations.
	Conversations *conversations.Service
	IPs           *clientip.Resolver
	Metrics       *metrics.Metrics
	Log           *slog.Logger
	Web           fs.FS // built assets (internal/webui.FS()); the console app is under admin/
	WebBuilt      bool  // the console app is built (webui.AdminBuilt())
}

// Route is one registered API route and what it requires: the role matrix test and the
// OpenAPI coverage test walk these.
type Route struct {
	Pattern string // "METHOD /admin/api/v1/…"
	Perm    console.Permission
}

// Server is the console's handler.
type Server struct {
	Deps
	mux     *http.ServeMux
	handler http.Handler
	routes  []Route
	// patterns are every registered pattern (API and web app), for the OpenAPI coverage test.
	patterns []string
}

// New builds the server and registers every route.
func New(d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Metrics == nil {
		d.Metrics = metrics.New()
	}
	if d.IPs == nil {
		d.IPs = clientip.NewResolver(nil)
	}
	s := &Server{Deps: d, mux: http.NewServeMux()}
	s.authRoutes()
	s.accountRoutes()
	s.tokenRoutes()
	s.auditRoutes()
	s.siteRoutes()
	s.analyticsRoutes()
	s.conversationRoutes()
	s.subjectRoutes()
	s.openapiRoutes()
	s.webRoutes()
	s.handler = s.outer(s.mux)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes lists the registered API routes in registration order.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// Patterns lists every registered pattern (API and web app) in registration order.
func (s *Server) Patterns() []string { return append([]string(nil), s.patterns...) }

// PatternFor returns the pattern of the route that would serve r ("" when none would).
func (s *Server) PatternFor(r *http.Request) string {
	_, p := s.mux.Handler(r)
	return p
}

// Mount serves /admin/ (and /admin) with admin and everything else with public: the
// single-port setup (CHATPROXY_ADMIN_ADDR=public). The chat path pays one prefix check.
func Mount(admin, public http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; strings.HasPrefix(p, Prefix) || p == "/admin" {
			admin.ServeHTTP(w, r)
			return
		}
		public.ServeHTTP(w, r)
	})
}

// ConfigureHTTPServer sets the console listener's timeouts. There is no WriteTimeout:
// exports stream for as long as they need and set their own deadlines.
func ConfigureHTTPServer(srv *http.Server) {
	srv.ReadHeaderTimeout = 5 * time.Second
	srv.ReadTimeout = 30 * time.Second
	srv.IdleTimeout = 120 * time.Second
	srv.MaxHeaderBytes = 32 << 10
}
