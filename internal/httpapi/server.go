// Package httpapi is chatproxy's HTTP surface: routes, middleware and errors.
//
// Routes use stdlib ServeMux patterns; middleware sets the request id and security headers and
// checks origins, CORS and body limits; every input is decoded and validated at the edge, and
// errors are mapped to JSON responses. It holds no domain logic.
package httpapi

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/chat"
	"github.com/chatproxy/chatproxy/internal/clientip"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/metrics"
	"github.com/chatproxy/chatproxy/internal/n8nchat"
	"github.com/chatproxy/chatproxy/internal/origin"
	"github.com/chatproxy/chatproxy/internal/privacy"
	"github.com/chatproxy/chatproxy/internal/session"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/tracing"
	"github.com/chatproxy/chatproxy/internal/uploads"
)

// Guard applies rate limits, budgets and abuse rules. Every method decides before anything is
// stored or sent upstream; release functions free concurrency slots.
type Guard interface {
	SessionCreate(ctx context.Context, s *site.Site, ip netip.Addr, honeypot string) error
	Message(ctx context.Context, s *site.Site, sess store.Session, ip netip.Addr, text, clientID, honeypot string) (release func(), err error)
	Stream(ctx context.Context, s *site.Site, sess store.Session, ip netip.Addr) (release func(), err error)
	Events(ctx context.Context, s *site.Site, ip netip.Addr) error
	// PageView limits the @n8n/chat widget's history loads per IP and notes when its id (key)
	// was first seen; FirstSeen reports that time (now when never).
	PageView(ctx context.Context, s *site.Site, ip netip.Addr, key string) error
	FirstSeen(ctx context.Context, key string) (time.Time, error)
	// Upload limits file uploads per session and IP.
	Upload(ctx context.Context, s *site.Site, sess store.Session, ip netip.Addr) error
}

// Pinger reports the health of an optional dependency (Redis).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are what the HTTP layer calls.
type Deps struct {
	Config   config.Config
	Sites    *site.Registry
	Sessions *session.Service
	Chat     *chat.Service
	N8N      *n8nchat.Service // the official @n8n/chat widget's sessions
	Uploads  *uploads.Service // visitors' files
	Store    store.Store
	Privacy  *privacy.Service // visitors' export and erasure
	Audit    *audit.Log       // nil: visitors' erasures are not audited
	Guard    Guard
	Events   *analytics.Recorder // client events (POST /api/v1/events); nil refuses them
	IPs      *clientip.Resolver
	Metrics  *metrics.Metrics
	Log      *slog.Logger
	Tracer   tracing.Tracer          // off (zero) unless OTEL_EXPORTER_OTLP_ENDPOINT is set
	Redis    Pinger                  // nil without REDIS_URL
	JWKS     func() []map[string]any // public keys of ES256 sites
	Web      fs.FS                   // built widget assets (internal/webui)
	WebBuilt bool
}

// Server is the HTTP handler.
type Server struct {
	Deps
	mux         *http.ServeMux
	patterns    []string // every registered pattern, for the OpenAPI coverage test
	log         *slog.Logger
	metrics     *metrics.Metrics
	handler     http.Handler
	publicHTTPS bool
	// public is CHATPROXY_PUBLIC_URL's origin (when publicSet): the host same-origin requests
	// must name (see sameOrigin).
	public    origin.Origin
	publicSet bool
	draining  atomic.Bool
	// streams is cancelled by StopStreams; every relay watches it (without a goroutine each).
	streams     context.Context
	stopStreams context.CancelFunc
	openStreams atomic.Int64
}

// New builds the server and its routes.
func New(d Deps) *Server {
	if d.Privacy == nil {
		d.Privacy = &privacy.Service{Store: d.Store, Sessions: d.Sessions}
	}
	s := &Server{
		Deps: d, mux: http.NewServeMux(), log: d.Log, metrics: d.Metrics,
		publicHTTPS: strings.HasPrefix(d.Config.PublicURL, "https://"),
	}
	s.public, s.publicSet = publicOrigin(d.Config.PublicURL)
	if !s.publicSet && !d.Config.Demo && d.Log != nil {
		d.Log.Warn("CHATPROXY_PUBLIC_URL is not set: the widget page's requests are trusted only on " +
			"localhost and IP addresses; set it to the address browsers use (see docs/security.md)")
	}
	s.streams, s.stopStreams = context.WithCancel(context.Background())
	s.routes()
	s.handler = s.outer(s.mux)
	return s
}

func (s *Server) routes() {
	s.handle("POST /api/v1/session/create", s.sessionCreate)
	s.handle("GET /api/v1/session/validate", s.sessionValidate)
	s.handle("POST /api/v1/chat/message", s.chatPost)
	s.handle("POST /api/v1/chat/stream", s.chatPost)
	s.handle("GET /api/v1/chat/stream", s.chatGet)
	s.handle("GET /api/v1/chat/history/{session_id}", s.history)
	s.handle("GET /api/v1/me/export", s.meExport)
	s.handle("DELETE /api/v1/me", s.meDelete)
	s.handle("POST /api/v1/me/consent", s.meConsent)
	s.handle("GET /api/v1/sites/{site_id}/config", s.siteConfig)
	s.handle("POST /api/v1/events", s.events)
	s.handle("POST "+n8nPrefix+"{site_id}", s.n8nChat)
	s.handle("OPTIONS "+n8nPrefix+"{site_id}", s.n8nPreflight)
	s.handle("POST /api/v1/uploads", s.uploadCreate)
	s.handle("GET /api/v1/uploads/{id}", s.uploadGet)
	s.handle("OPTIONS /api/", s.preflight)
	s.handle("GET /health", s.health)
	s.handle("GET /health/live", s.live)
	s.handle("GET /health/ready", s.ready)
	s.handle("GET /.well-known/jwks.json", s.jwks)
	s.handle("GET /embed.js", s.embedJS)
	s.handle("GET /widget/", s.widget)
	s.handle("GET /{$}", s.demoPage)
	s.handle("GET /demo/", s.demoAsset)
	s.handle("/", s.notFound)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Patterns lists every registered route pattern in registration order.
func (s *Server) Patterns() []string { return append([]string(nil), s.patterns...) }

// PatternFor returns the pattern of the route that would serve r ("" when none would).
func (s *Server) PatternFor(r *http.Request) string {
	_, p := s.mux.Handler(r)
	return p
}

// BeginDrain turns readiness off and refuses new streams; running replies go on.
func (s *Server) BeginDrain() { s.draining.Store(true) }

// WaitStreams waits until every open stream ended by itself (its reply finished and was
// delivered) or ctx ends.
func (s *Server) WaitStreams(ctx context.Context) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for s.openStreams.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// StopStreams ends every open stream with a reconnect event (after the drain deadline).
func (s *Server) StopStreams() { s.stopStreams() }

// ConfigureHTTPServer sets the timeouts of the public listener. WriteTimeout stays 0 because
// streams set a deadline per write instead.
func ConfigureHTTPServer(srv *http.Server) {
	srv.ReadHeaderTimeout = 5 * time.Second
	srv.ReadTimeout = 15 * time.Second
	srv.IdleTimeout = 120 * time.Second
	srv.MaxHeaderBytes = 32 << 10
}
