// Package app wires chatproxy together from a Config and runs it.
//
// It builds the storage engine, keys, limiter, reply buffer, upstream client, services and the
// HTTP server, and runs them until a signal, with a graceful shutdown. It is the only place
// that knows every concrete implementation.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/chatproxy/chatproxy/internal/adminapi"
	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/chat"
	"github.com/chatproxy/chatproxy/internal/clientip"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/crypto"
	"github.com/chatproxy/chatproxy/internal/demoagent"
	"github.com/chatproxy/chatproxy/internal/geoip"
	"github.com/chatproxy/chatproxy/internal/guard"
	"github.com/chatproxy/chatproxy/internal/httpapi"
	"github.com/chatproxy/chatproxy/internal/keys"
	"github.com/chatproxy/chatproxy/internal/metrics"
	"github.com/chatproxy/chatproxy/internal/n8nchat"
	"github.com/chatproxy/chatproxy/internal/privacy"
	"github.com/chatproxy/chatproxy/internal/ratelimit"
	"github.com/chatproxy/chatproxy/internal/retention"
	"github.com/chatproxy/chatproxy/internal/session"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/sitecfg"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/postgres"
	"github.com/chatproxy/chatproxy/internal/store/sqlite"
	"github.com/chatproxy/chatproxy/internal/stream"
	"github.com/chatproxy/chatproxy/internal/stream/redisbuf"
	"github.com/chatproxy/chatproxy/internal/tracing"
	"github.com/chatproxy/chatproxy/internal/uploads"
	"github.com/chatproxy/chatproxy/internal/upstream"
	"github.com/chatproxy/chatproxy/internal/webui"
)

// App is a wired chatproxy.
type App struct {
	Config  config.Config
	Log     *slog.Logger
	Metrics *metrics.Metrics
	Store   store.Store
	Sites   *site.Registry
	// SiteConfig manages the console's sites and keeps Sites in step with the database.
	SiteConfig *sitecfg.Service
	Chat       *chat.Service
	// Events records analytics events (batched, never blocking the chat).
	Events   *analytics.Recorder
	Server   *httpapi.Server
	Upstream *upstream.Client
	// KeyManager keeps the session-token keys (in the database, sealed) and rotates them.
	KeyManager *keys.Manager
	// Console and Admin are the operator console (nil when CHATPROXY_ADMIN_ADDR=off).
	Console *console.Service
	Admin   *adminapi.Server
	// Tracing exports spans (nil when OTEL_EXPORTER_OTLP_ENDPOINT is not set).
	Tracing *tracing.Provider
	// Privacy exports and erases visitors' data (the widget's menu and the console's requests).
	Privacy *privacy.Service
	// Retention purges data past the sites' retention (nil when CHATPROXY_RETENTION_INTERVAL=off).
	Retention *retention.Purger

	setupToken string // one-time first-run token, "" when accounts exist
	closers    []func()
}

// NewLogger builds the process logger: JSON, or text when debugging; with tracing on, lines
// logged with a context carry its trace_id and span_id.
func NewLogger(c config.Config, w *os.File) *slog.Logger {
	h := newLogHandler(c, w)
	if c.Tracing.Enabled() {
		h = tracing.LogHandler(h)
	}
	return slog.New(h)
}

func newLogHandler(c config.Config, w *os.File) slog.Handler {
	level := slog.LevelInfo
	switch c.LogLevel {
	case "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	if c.Debug {
		return slog.NewTextHandler(w, &slog.HandlerOptions{Level: min(level, slog.LevelDebug)})
	}
	return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
}

// FieldKeyring parses CHATPROXY_ENCRYPTION_KEYS, the keys that seal personal data at rest. The
// server and every command read it here, so they accept and refuse the same values.
func FieldKeyring(c config.Config) (*crypto.Keyring, error) {
	keyring, err := crypto.ParseKeyring(c.EncryptionKeys)
	if err != nil {
		return nil, &config.Error{Setting: "CHATPROXY_ENCRYPTION_KEYS", Problem: err.Error()}
	}
	return keyring, nil
}

// OpenStore opens the configured engine with the field cipher (it does not migrate).
func OpenStore(ctx context.Context, c config.Config, cipher store.Cipher) (store.Store, error) {
	if c.DatabaseURL != "" {
		st, err := postgres.Open(ctx, c.DatabaseURL, cipher)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", c.DataDir, err)
	}
	st, err := sqlite.Open(ctx, c.SQLitePath(), cipher)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Option adjusts how New wires the app (tests).
type Option func(*options)

type options struct {
	upstream func(*upstream.Options)
}

// WithUpstreamOptions lets fn adjust the upstream client's options, e.g. to trust a test CA
// (RootCAs) or resolve names with a test resolver (Resolver; the console's save-time SSRF
// check then uses it too).
func WithUpstreamOptions(fn func(*upstream.Options)) Option {
	return func(o *options) { o.upstream = fn }
}

// New wires everything. The store is migrated here, so every replica can start in any order.
func New(ctx context.Context, c config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	a := &App{Config: c, Log: log, Metrics: metrics.New()}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()
	keyring, err := FieldKeyring(c)
	if err != nil {
		return nil, err
	}
	if err := a.startTracing(ctx); err != nil {
		return nil, err
	}
	tracer := a.Tracing.Tracer()
	if a.Store, err = OpenStore(ctx, c, keyring); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { _ = a.Store.Close() })
	a.Store = tracing.Store(a.Store, tracer, storeSystem(c))
	if err := a.Store.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	upstreamOpts := UpstreamOptions(c)
	if o.upstream != nil {
		o.upstream(&upstreamOpts)
	}
	if err := a.loadSites(ctx, keyring, upstreamOpts.Resolver); err != nil {
		return nil, err
	}
	a.KeyManager, err = keys.New(keys.Options{Store: a.Store, Fields: keyring, Secret: c.JWTSecret,
		TokenLifetime: c.SessionMaxAge, RotateEvery: c.SessionKeyRotation, Log: log})
	if err != nil {
		return nil, &config.Error{Setting: "JWT_SECRET_KEY", Problem: err.Error()}
	}
	sessionKeys, err := a.KeyManager.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("session-token keys: %w", err)
	}
	hashKey := []byte(crypto.HMAC(c.JWTSecret, "chatproxy ip+fingerprint hash"))

	limiter, rdb, err := a.newLimiter(ctx)
	if err != nil {
		return nil, err
	}
	events := analytics.NewRecorder(analytics.Options{Store: a.Store, Log: log, Metrics: a.Metrics, Queue: c.AnalyticsQueue})
	a.Events = events
	a.closers = append(a.closers, events.Close)
	refusals := analytics.NewRefusals(a.Store, log, c.RefusalFlush, c.RefusalCounters)
	a.closers = append(a.closers, refusals.Close)
	a.Metrics.AnalyticsDropped(func() int64 { return events.Dropped() + events.Failed() + refusals.Dropped() })

	buf := a.newReplyBuffer()
	a.closers = append(a.closers, func() { _ = buf.Close() })
	if a.Upstream, err = upstream.NewClient(upstreamOpts); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.Upstream.Close)

	chatOpts := chat.Options{
		Store: a.Store, Buffer: buf, Upstream: a.Upstream, Metrics: a.Metrics, Log: log, Tracer: tracer,
		IPHashKey: hashKey, ReplyTimeout: c.Upstream.Total + 30*time.Second, Events: events,
	}
	sessOpts := session.Options{Store: a.Store, Keys: sessionKeys, Idle: c.SessionIdle, MaxAge: c.SessionMaxAge,
		HashKey: hashKey, Metrics: a.Metrics, Events: events}
	if c.GeoIPDB != "" {
		g, err := geoip.Open(c.GeoIPDB)
		if err != nil {
			return nil, &config.Error{Setting: "GEOIP_DB", Problem: err.Error()}
		}
		a.closers = append(a.closers, func() { _ = g.Close() })
		chatOpts.Geo, sessOpts.Geo = g, g
	}
	a.Chat = chat.New(chatOpts)
	a.closers = append(a.closers, a.Chat.Close)

	files, err := newUploads(c, a.Store, keyring)
	if err != nil {
		return nil, err
	}
	sessions := session.New(sessOpts)
	a.Privacy = &privacy.Service{Store: a.Store, Sessions: sessions}
	g := guard.New(limiter, a.Metrics, refusals)
	g.HoldSlotsFor(chatOpts.ReplyTimeout + time.Minute)
	deps := httpapi.Deps{
		Config: c, Sites: a.Sites, Store: a.Store, Chat: a.Chat, Metrics: a.Metrics, Log: log, Tracer: tracer,
		Sessions: sessions, Privacy: a.Privacy, Audit: audit.New(a.Store),
		Events:   events,
		N8N:      n8nchat.New(n8nchat.Options{Store: a.Store, Sessions: sessions, HashKey: hashKey}),
		Uploads:  files,
		Guard:    g,
		IPs:      clientip.NewResolver(c.TrustedProxies),
		JWKS:     a.jwks,
		Web:      webui.FS(),
		WebBuilt: webui.Built(),
	}
	if rdb != nil {
		deps.Redis = redisPinger{rdb}
	}
	a.Server = httpapi.New(deps)
	a.newRetention()
	if err := a.newConsole(ctx, limiter); err != nil {
		return nil, err
	}
	ok = true
	return a, nil
}

// newRetention builds the purge job; every replica runs it, the lease lets one at a time work.
func (a *App) newRetention() {
	if a.Config.RetentionInterval <= 0 {
		return
	}
	host, _ := os.Hostname()
	a.Retention = retention.New(retention.Options{
		Store: a.Store, Audit: audit.New(a.Store), Registry: a.Metrics.Registry, Log: a.Log,
		Holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), uuid.NewString()[:8]),
		Batch:  a.Config.RetentionBatch, Interval: a.Config.RetentionInterval,
		Sites: func() []config.Site {
			all := a.Sites.All()
			out := make([]config.Site, len(all))
			for i, s := range all {
				out[i] = s.Site
			}
			return out
		},
	})
}

// startTracing starts the span exporter when an OTLP endpoint is configured. It is closed
// last, so the spans of the shutdown itself are still sent.
func (a *App) startTracing(ctx context.Context) error {
	p, err := tracing.Setup(ctx, a.Config.Tracing, a.Log)
	if err != nil || p == nil {
		return err
	}
	a.Tracing = p
	a.closers = append(a.closers, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.Shutdown(sctx); err != nil {
			a.Log.Warn("tracing: spans lost at shutdown", "err", err)
		}
	})
	return nil
}

// storeSystem is the engine's db.system.name, as spans name it.
func storeSystem(c config.Config) string {
	if c.DatabaseURL != "" {
		return "postgresql"
	}
	return "sqlite"
}

// UpstreamOptions are the n8n client's bounds, all from the configuration (the client has no
// defaults of its own), plus the demo agent's in-process transport in demo mode.
func UpstreamOptions(c config.Config) upstream.Options {
	u := c.Upstream
	o := upstream.Options{
		DialTimeout: u.Dial, TLSTimeout: u.TLSHandshake, FirstByteTimeout: u.FirstByte, IdleTimeout: u.Idle,
		TotalTimeout: u.Total, MaxResponseBytes: u.MaxBytes, MaxRequestBytes: u.MaxRequestBytes,
		AllowPrivateUntrusted: c.AllowPrivateUpstream, MaxConcurrentPerSite: u.MaxConcurrent,
		ConcurrencyWait: u.ConcurrencyWait, BreakerFailures: u.BreakerFailures, BreakerOpenFor: u.BreakerOpenFor,
		H2C: u.H2C,
	}
	if c.Demo {
		o.WrapTransport = func(next http.RoundTripper) http.RoundTripper {
			return demoagent.Transport{Host: config.DemoAgentHost, Agent: demoagent.Agent{Delay: 40 * time.Millisecond}, Next: next}
		}
	}
	return o
}

// newLimiter picks the in-memory limiter, or Redis with a per-instance fallback.
func (a *App) newLimiter(ctx context.Context) (ratelimit.Limiter, *redis.Client, error) {
	local := ratelimit.NewMemory()
	a.closers = append(a.closers, func() { _ = local.Close() })
	if a.Config.RedisURL == "" {
		return local, nil, nil
	}
	opt, err := redis.ParseURL(a.Config.RedisURL)
	if err != nil {
		return nil, nil, &config.Error{Setting: "REDIS_URL", Problem: "cannot be parsed"}
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = time.Second, 500*time.Millisecond, 500*time.Millisecond
	// Per-call deadlines come from the context (100 ms in the limiter); without this go-redis
	// would wait for its own read timeout instead.
	opt.ContextTimeoutEnabled = true
	opt.DialerRetries = 1
	rdb := redis.NewClient(opt)
	a.closers = append(a.closers, func() { _ = rdb.Close() })
	if err := rdb.Ping(ctx).Err(); err != nil {
		a.Log.Warn("redis unreachable at start-up; rate limits fall back to per-instance until it is back", "err", err)
	}
	remote := ratelimit.NewRedis(rdb, a.Config.RedisPrefix+"rl:")
	fb := ratelimit.NewFallback(remote, local, func(op string, err error) {
		a.Metrics.RateLimitFallback.WithLabelValues(op).Inc()
		a.Log.Warn("rate limit decided locally: redis failed", "op", op, "err", err)
	})
	return fb, rdb, nil
}

// newReplyBuffer keeps reply events in memory; with REDIS_URL they are also copied to Redis
// Streams in batches (a visitor resumes on any replica), with this process's memory alone as the
// fallback for replies started while Redis is down.
func (a *App) newReplyBuffer() stream.Buffer {
	local := stream.NewMemory(stream.MemoryOptions{})
	if a.Config.RedisURL == "" {
		return local
	}
	opt, _ := redis.ParseURL(a.Config.RedisURL) // validated by newLimiter
	opt.ContextTimeoutEnabled = true
	opt.DialerRetries = 1
	opt.PoolSize = 64 // reply starts and remote reads; the copy to Redis uses one connection at a time
	rdb := redis.NewClient(opt)
	a.closers = append(a.closers, func() { _ = rdb.Close() })
	remote := redisbuf.NewTiered(rdb, a.Config.RedisPrefix+"sb:", redisbuf.TieredOptions{
		Remote: redisbuf.Options{Timeout: time.Second},
		OnCopyError: func(err error) {
			a.Metrics.Errors.WithLabelValues("reply_buffer_copy").Inc()
			a.Log.Warn("copying replies to redis failed; retrying (resume on other replicas waits)", "err", err)
		},
	})
	return stream.NewFallback(remote, local, 5*time.Minute, func(err error) {
		a.Metrics.Errors.WithLabelValues("reply_buffer_fallback").Inc()
		a.Log.Warn("reply kept in this replica's memory: redis failed", "err", err)
	})
}

// loadSites compiles the configured sites, stores them (so the console lists them and other
// replicas see them) and adds the console's sites from the database. Serve keeps the set in
// step with the database.
func (a *App) loadSites(ctx context.Context, keyring store.Cipher, resolver upstream.Resolver) error {
	var err error
	if a.Sites, err = site.NewRegistry(a.Config.Sites, a.Config.SessionSecret); err != nil {
		return err
	}
	a.SiteConfig = sitecfg.New(sitecfg.Options{
		Store: a.Store, Cipher: keyring, Registry: a.Sites, Log: a.Log,
		AllowPrivateUpstream: a.Config.AllowPrivateUpstream, Resolver: resolver,
		OnPublish: func(served []*site.Site) {
			// A removed site's breaker and slots go; a changed host gets fresh ones on its
			// next call (upstream keys them by host).
			if a.Upstream != nil {
				a.Upstream.ForgetSites(func(id string) bool { _, ok := a.Sites.Get(id); return ok })
			}
		},
	})
	if err := a.SiteConfig.SyncFileSites(ctx); err != nil {
		return err
	}
	if err := a.SiteConfig.Reload(ctx); err != nil {
		return fmt.Errorf("load the console's sites: %w", err)
	}
	return nil
}

// jwks lists the public keys of every ES256 site, with a rotated-out key during its overlap.
func (a *App) jwks() []map[string]any {
	var keys []map[string]any
	now := time.Now()
	for _, s := range a.Sites.All() {
		keys = append(keys, s.JWKs(now)...)
	}
	return keys
}

// Close releases everything in reverse order.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

type redisPinger struct{ c *redis.Client }

func (p redisPinger) Ping(ctx context.Context) error { return p.c.Ping(ctx).Err() }

// Warnings lists configuration findings worth an operator's attention (logged at start-up).
func (a *App) Warnings() []string {
	var out []string
	for _, s := range a.Sites.All() {
		if s.WebhookURL == config.DemoWebhookURL || !s.Trusted {
			continue // console sites' URLs passed the SSRF rule
		}
		if w := upstream.WarnTrustedURL(s.WebhookURL); w != "" {
			out = append(out, "site "+s.ID+": "+w)
		}
	}
	for _, group := range a.Sites.SharedKeys() {
		out = append(out, "sites "+strings.Join(group, ", ")+" sign their n8n tokens with the same key: whoever "+
			"holds one site's n8n credential can mint tokens the others' n8n accepts; give each site its own "+
			"signing.secret_file (or no secret at all: a site without one gets a key derived for it alone)")
	}
	if a.Config.Demo {
		out = append(out, "demo mode: no sites configured; answers come from the built-in demo agent")
	}
	if w := consoleWarning(a.Config); w != "" {
		out = append(out, w)
	}
	return out
}

// newUploads keeps uploaded files in S3-compatible storage when CHATPROXY_S3_ENDPOINT is set,
// else under the data directory.
func newUploads(c config.Config, st store.Store, keyring store.Cipher) (*uploads.Service, error) {
	var objects uploads.Objects = uploads.Dir(filepath.Join(c.DataDir, "uploads"))
	if c.S3.Endpoint != "" {
		s3, err := uploads.NewS3(c.S3)
		if err != nil {
			return nil, &config.Error{Setting: "CHATPROXY_S3_ENDPOINT", Problem: err.Error()}
		}
		objects = s3
	}
	return uploads.New(uploads.Options{Store: st, Objects: objects, Cipher: keyring}), nil
}
