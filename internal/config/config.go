// Package config declares every setting of chatproxy once, with its default.
//
// Settings are typed structs with defaults in code, loaded from the environment (the seed
// backend's names stay valid), an optional .env file, `NAME_FILE` secrets and a sites YAML
// file. With no configuration at all it builds the demo setup.
package config

import (
	"net/netip"
	"time"
)

// Config is the whole process configuration.
type Config struct {
	Addr        string // CHATPROXY_ADDR
	MetricsAddr string // CHATPROXY_METRICS_ADDR ("" or "off" disables)
	// AdminAddr is the operator console's listener (CHATPROXY_ADMIN_ADDR): an address, "public"
	// (mounted on the public listener) or "off".
	AdminAddr string
	// AdminURL is how operators' browsers reach the console (CHATPROXY_ADMIN_URL): the setup
	// link and the CSRF Origin check use it; empty = the request's own scheme and host.
	AdminURL    string
	DataDir     string // CHATPROXY_DATA_DIR
	PublicURL   string // CHATPROXY_PUBLIC_URL: how browsers reach this server (demo origin, cookies)
	DatabaseURL string // DATABASE_URL: PostgreSQL; empty = SQLite in DataDir
	RedisURL    string // REDIS_URL: shared limits and reply buffers; empty = in-process
	RedisPrefix string // CHATPROXY_REDIS_PREFIX: key prefix, so deployments can share a Redis
	LogLevel    string // LOG_LEVEL
	Debug       bool   // DEBUG: text logs, debug level

	JWTSecret      []byte // JWT_SECRET_KEY: signs visitor session tokens
	SessionSecret  []byte // SESSION_SECRET_KEY: default HS256 key of upstream (n8n) JWTs
	EncryptionKeys string // CHATPROXY_ENCRYPTION_KEYS: kid:base64key,… (last = primary)

	TrustedProxies       []netip.Prefix // TRUSTED_PROXIES
	GeoIPDB              string         // GEOIP_DB
	AllowPrivateUpstream bool           // CHATPROXY_ALLOW_PRIVATE_UPSTREAM

	SessionIdle time.Duration // CHATPROXY_SESSION_IDLE
	// SessionKeyRotation: how often session-token signing keys rotate (default 30 days; 0 =
	// never). A replaced key keeps verifying for SessionMaxAge plus a few minutes, so no
	// visitor loses a session. CHATPROXY_SESSION_KEY_ROTATION.
	SessionKeyRotation time.Duration
	// RetentionInterval: how often a replica tries to purge data past the sites' retention
	// (one replica at a time runs it; 0 = never). RetentionBatch: rows per purge transaction.
	RetentionInterval time.Duration
	RetentionBatch    int
	SessionMaxAge     time.Duration // CHATPROXY_SESSION_MAX_AGE
	ShutdownTimeout   time.Duration // CHATPROXY_SHUTDOWN_TIMEOUT: how long running replies may finish
	Heartbeat         time.Duration // CHATPROXY_HEARTBEAT: SSE comment interval
	// StreamWriteTimeout bounds each SSE write; a client that does not read within it is dropped
	// (its reply goes on and is stored). CHATPROXY_STREAM_WRITE_TIMEOUT.
	StreamWriteTimeout time.Duration
	// StreamWriteDelay lets the tokens after the first that come in a burst gather this long
	// before a write (one syscall and one browser wake-up per burst); a token that comes later
	// than this after the one before is written at once. CHATPROXY_STREAM_WRITE_DELAY; 0 = off.
	StreamWriteDelay time.Duration
	Upstream         UpstreamTimeouts
	// MemoryLimit is Go's soft memory limit in bytes (CHATPROXY_MEMORY_LIMIT, e.g. 900MiB):
	// 0 = 90 % of the container's memory limit when there is one, -1 (off) = none. GOMEMLIMIT,
	// when set, wins.
	MemoryLimit int64
	// Tracing exports OpenTelemetry spans over OTLP/HTTP when an endpoint is set (OTEL_*).
	Tracing Tracing
	// S3 stores uploaded files when its endpoint is set (CHATPROXY_S3_*), else the data dir.
	S3 S3
	// AnalyticsQueue is how many analytics events may wait for the writer before new ones are
	// dropped (CHATPROXY_ANALYTICS_QUEUE).
	AnalyticsQueue int

	// Refusals are counted in memory per site, reason and minute and added to the database
	// every RefusalFlush; at most RefusalCounters distinct counters wait at once (no variables).
	RefusalFlush    time.Duration
	RefusalCounters int

	Demo  bool // no configuration at all: demo site + built-in demo agent
	Sites []Site

	// Warnings are non-fatal findings for the operator, logged at start-up.
	Warnings []string
}

// UpstreamTimeouts bound every call to n8n. The upstream client has no defaults of its own:
// these are the only ones.
type UpstreamTimeouts struct {
	Dial      time.Duration // CHATPROXY_UPSTREAM_DIAL_TIMEOUT
	FirstByte time.Duration // CHATPROXY_UPSTREAM_FIRST_BYTE_TIMEOUT
	Idle      time.Duration // CHATPROXY_UPSTREAM_IDLE_TIMEOUT (gap between chunks)
	Total     time.Duration // CHATPROXY_UPSTREAM_TOTAL_TIMEOUT
	MaxBytes  int64         // CHATPROXY_UPSTREAM_MAX_BYTES
	// TLSHandshake bounds the TLS handshake of each connection (no variable).
	TLSHandshake time.Duration
	// MaxRequestBytes caps the body sent to n8n; the oldest history is dropped to fit (no variable).
	MaxRequestBytes int
	// MaxConcurrent caps n8n calls in flight per site (CHATPROXY_UPSTREAM_MAX_CONCURRENT).
	MaxConcurrent int
	// ConcurrencyWait is how long a call waits for a free slot before upstream_busy (no variable).
	ConcurrencyWait time.Duration
	// BreakerFailures consecutive failures open a site's circuit breaker for BreakerOpenFor
	// (CHATPROXY_UPSTREAM_BREAKER_FAILURES, CHATPROXY_UPSTREAM_BREAKER_OPEN_FOR).
	BreakerFailures int
	BreakerOpenFor  time.Duration
	// H2C: configured (trusted) http:// webhooks are called over HTTP/2 without TLS
	// (CHATPROXY_UPSTREAM_H2C), for n8n behind a reverse proxy that speaks it.
	H2C bool
}

// Site is one shop using this deployment. Its JSON form (the console's sites API) uses the
// sites file's YAML names; where the signing key comes from is never part of it.
type Site struct {
	ID             string   `yaml:"id" json:"id"`
	Name           string   `yaml:"name" json:"name"`
	AllowedOrigins []string `yaml:"allowed_origins" json:"allowed_origins"`
	// WebhookURL is omitted from JSON when empty: viewers read settings without it.
	WebhookURL    string  `yaml:"n8n_webhook_url" json:"n8n_webhook_url,omitempty"`
	PayloadFormat string  `yaml:"payload_format" json:"payload_format"` // chat-trigger | webhook
	Signing       Signing `yaml:"signing" json:"signing"`
	HistoryDepth  int     `yaml:"history_depth" json:"history_depth"`
	ClientIP      string  `yaml:"client_ip" json:"client_ip"` // raw | hashed | omit
	Limits        Limits  `yaml:"limits" json:"limits"`
	Abuse         Abuse   `yaml:"abuse" json:"abuse"`
	Widget        Widget  `yaml:"widget" json:"widget"`
	// Consent, Identify, PrivacyPolicyURL, Retention and LegalHold are the site's privacy
	// rules (privacy.go, docs/privacy.md).
	Consent          string    `yaml:"consent" json:"consent"`   // none | notice (default) | opt_in
	Identify         string    `yaml:"identify" json:"identify"` // none (default) | fingerprint
	PrivacyPolicyURL string    `yaml:"privacy_policy_url" json:"privacy_policy_url"`
	Retention        Retention `yaml:"retention" json:"retention"`
	LegalHold        bool      `yaml:"legal_hold" json:"legal_hold"`
	Analytics        Analytics `yaml:"analytics" json:"analytics"`
	Uploads          Uploads   `yaml:"uploads" json:"uploads"` // files visitors may attach (uploads.go)
	// Trusted: the webhook URL came from the operator (env or sites file), not from an admin API.
	Trusted bool `yaml:"-" json:"-"`
}

// Signing chooses how upstream JWTs of a site are signed. The key sources are file-only: the
// console generates its sites' keys and keeps them sealed in the database.
type Signing struct {
	Algorithm      string `yaml:"algorithm" json:"algorithm"` // HS256 (default) | ES256
	KID            string `yaml:"kid" json:"kid"`
	Secret         string `yaml:"secret" json:"-"`      // HS256; default SESSION_SECRET_KEY
	SecretFile     string `yaml:"secret_file" json:"-"` // HS256, read at start-up
	PrivateKeyFile string `yaml:"private_key_file" json:"-"`
	TTL            Dur    `yaml:"ttl" json:"ttl"` // ≤ 60 s, default 30 s
}

// Limits are a site's rate limits and budgets. Zero means "use the default"; -1 disables a limit.
type Limits struct {
	MaxMessageLength            int `yaml:"max_message_length" json:"max_message_length"`
	SessionPerMinute            int `yaml:"session_per_minute" json:"session_per_minute"`
	IPPerMinute                 int `yaml:"ip_per_minute" json:"ip_per_minute"`
	SitePerMinute               int `yaml:"site_per_minute" json:"site_per_minute"`
	ConcurrentStreamsPerSession int `yaml:"concurrent_streams_per_session" json:"concurrent_streams_per_session"`
	ConcurrentStreamsPerIP      int `yaml:"concurrent_streams_per_ip" json:"concurrent_streams_per_ip"`
	SessionsPerIPPerHour        int `yaml:"sessions_per_ip_per_hour" json:"sessions_per_ip_per_hour"`
	DailyMessages               int `yaml:"daily_messages" json:"daily_messages"`
}

// Abuse holds a site's cheap bot and spam defences.
type Abuse struct {
	MinFirstMessageDelayMS int      `yaml:"min_first_message_delay_ms" json:"min_first_message_delay_ms"` // -1 disables
	RepeatThreshold        int      `yaml:"repeat_threshold" json:"repeat_threshold"`                     // same text more than this…
	RepeatWindow           Dur      `yaml:"repeat_window" json:"repeat_window"`                           // …within this window is refused
	Blocklist              []string `yaml:"blocklist" json:"blocklist"`                                   // words, or /regular expressions/
}

// Analytics are a site's analytics settings.
type Analytics struct {
	// AttributionWindow: a purchase is chat-assisted when the visitor started a conversation
	// on the site at most this long before it.
	AttributionWindow Dur `yaml:"attribution_window" json:"attribution_window"`
	// EventsPerMinute: POST /api/v1/events requests per client IP per minute (-1: no limit).
	EventsPerMinute int `yaml:"events_per_minute" json:"events_per_minute"`
}

// Widget is the look and texts of a site's chat. The public site config shows all of it but
// language, allow_remote_images and image_hosts, which it carries at its top level.
type Widget struct {
	Title             string            `yaml:"title" json:"title"`
	Subtitle          string            `yaml:"subtitle" json:"subtitle"`
	PrimaryColor      string            `yaml:"primary_color" json:"primary_color"`
	TextColor         string            `yaml:"text_color" json:"text_color"`
	AvatarURL         string            `yaml:"avatar_url" json:"avatar_url"`
	LauncherIcon      string            `yaml:"launcher_icon" json:"launcher_icon"`
	Position          string            `yaml:"position" json:"position"`
	Welcome           string            `yaml:"welcome" json:"welcome"`
	Placeholder       string            `yaml:"placeholder" json:"placeholder"`
	Suggestions       []string          `yaml:"suggestions" json:"suggestions"`
	Texts             map[string]string `yaml:"texts" json:"texts"`
	Language          string            `yaml:"language" json:"language"`
	AllowRemoteImages bool              `yaml:"allow_remote_images" json:"allow_remote_images"`
	ImageHosts        []string          `yaml:"image_hosts" json:"image_hosts"`
}

// Defaults in one place.
const (
	DefaultAddr             = ":8080"
	DefaultMetricsAddr      = "127.0.0.1:9091"
	DefaultAdminAddr        = "127.0.0.1:8081"
	DefaultDataDir          = "./data"
	DefaultRedisPrefix      = "chatproxy:" // starts every Redis key, so deployments can share a Redis
	DefaultMaxMessageLength = 4000
	DefaultHistoryDepth     = 10
	DefaultAnalyticsQueue   = 8192
	DefaultAttribution      = 7 * 24 * time.Hour
	DefaultEventsPerMinute  = 120
	MaxBodyBytes            = 16 << 10
	MaxPageURLLength        = 2048
	// N8NHistoryLimit bounds the messages a loadPreviousSession of @n8n/chat answers (the newest).
	N8NHistoryLimit = 200
	DemoSiteID      = "demo"
	DefaultSiteID   = "default"
	DemoWebhookURL  = "http://" + DemoAgentHost + "/webhook/demo/chat"
	// DemoAgentHost never resolves (.invalid is reserved): only the in-process demo transport answers it.
	DemoAgentHost = "demo-agent.invalid"
)

// Default returns the configuration with every default applied and no sites.
func Default() Config {
	return Config{
		Addr:               DefaultAddr,
		MetricsAddr:        DefaultMetricsAddr,
		AdminAddr:          DefaultAdminAddr,
		DataDir:            DefaultDataDir,
		RedisPrefix:        DefaultRedisPrefix,
		LogLevel:           "info",
		Tracing:            Tracing{Sampler: DefaultSampler, SamplerArg: 1},
		AnalyticsQueue:     DefaultAnalyticsQueue,
		SessionIdle:        24 * time.Hour,
		SessionMaxAge:      30 * 24 * time.Hour,
		SessionKeyRotation: 30 * 24 * time.Hour,
		RetentionInterval:  time.Hour,
		RetentionBatch:     500,
		RefusalFlush:       time.Second,
		RefusalCounters:    10000,
		ShutdownTimeout:    25 * time.Second,
		Heartbeat:          15 * time.Second,
		StreamWriteTimeout: 10 * time.Second,
		StreamWriteDelay:   5 * time.Millisecond,
		Upstream: UpstreamTimeouts{
			Dial: 3 * time.Second,
			// n8n (2.17+) writes a keepalive line every 30 s while an agent thinks: both bounds
			// leave room for one to arrive late.
			FirstByte: 60 * time.Second,
			Idle:      45 * time.Second,
			Total:     120 * time.Second,
			MaxBytes:  1 << 20,

			TLSHandshake:    5 * time.Second,
			MaxRequestBytes: 256 << 10,
			MaxConcurrent:   64,
			ConcurrencyWait: 2 * time.Second,
			BreakerFailures: 5,
			BreakerOpenFor:  30 * time.Second,
		},
	}
}

// ApplySiteDefaults fills zero values of a site with the defaults (sites file and console).
func ApplySiteDefaults(s *Site) {
	if s.Name == "" {
		s.Name = s.ID
	}
	if s.PayloadFormat == "" {
		s.PayloadFormat = "chat-trigger"
	}
	if s.Signing.Algorithm == "" {
		s.Signing.Algorithm = "HS256"
	}
	if s.Signing.TTL == 0 {
		s.Signing.TTL = Dur(30 * time.Second)
	}
	if s.HistoryDepth == 0 {
		s.HistoryDepth = DefaultHistoryDepth
	}
	if s.ClientIP == "" {
		s.ClientIP = "hashed"
	}
	applyLimitDefaults(&s.Limits)
	applyAbuseDefaults(&s.Abuse)
	applyUploadDefaults(&s.Uploads)
	if s.Analytics.AttributionWindow == 0 {
		s.Analytics.AttributionWindow = Dur(DefaultAttribution)
	}
	if s.Analytics.EventsPerMinute == 0 {
		s.Analytics.EventsPerMinute = DefaultEventsPerMinute
	}
	if s.Widget.Position == "" {
		s.Widget.Position = "right"
	}
	if s.Widget.Language == "" {
		s.Widget.Language = "auto"
	}
	if s.Widget.Title == "" {
		s.Widget.Title = s.Name
	}
	if s.Widget.PrimaryColor == "" {
		s.Widget.PrimaryColor = "#4f46e5"
	}
	if s.Widget.TextColor == "" {
		s.Widget.TextColor = "#ffffff"
	}
	applyPrivacyDefaults(s)
}

func applyLimitDefaults(l *Limits) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.MaxMessageLength, DefaultMaxMessageLength)
	def(&l.SessionPerMinute, 20)
	def(&l.IPPerMinute, 60)
	def(&l.SitePerMinute, 3000)
	def(&l.ConcurrentStreamsPerSession, 2)
	def(&l.ConcurrentStreamsPerIP, 10)
	def(&l.SessionsPerIPPerHour, 60)
	def(&l.DailyMessages, -1)
}

func applyAbuseDefaults(a *Abuse) {
	if a.MinFirstMessageDelayMS == 0 {
		a.MinFirstMessageDelayMS = 500
	}
	if a.RepeatThreshold == 0 {
		a.RepeatThreshold = 3
	}
	if a.RepeatWindow == 0 {
		a.RepeatWindow = Dur(10 * time.Minute)
	}
}
