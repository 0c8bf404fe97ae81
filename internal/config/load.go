package config

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// Lookup reads one environment variable; tests pass a map-backed one.
type Lookup func(name string) (string, bool)

// Error names the setting that is wrong.
type Error struct {
	Setting string
	Problem string
}

func (e *Error) Error() string { return fmt.Sprintf("config: %s: %s", e.Setting, e.Problem) }

func settingErr(setting, format string, args ...any) error {
	return &Error{Setting: setting, Problem: fmt.Sprintf(format, args...)}
}

// EnvLookup reads the process environment, then a .env file in the working directory when present
// (real environment variables win, as with every .env loader).
func EnvLookup() (Lookup, error) {
	dotenv, err := godotenv.Read(".env")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, settingErr(".env", "cannot be read: %v", err)
	}
	return func(name string) (string, bool) {
		if v, ok := os.LookupEnv(name); ok {
			return v, true
		}
		v, ok := dotenv[name]
		return v, ok
	}, nil
}

// reader wraps a Lookup with typed getters that remember the first error.
type reader struct {
	look Lookup
	err  error
	seen bool // any chatproxy or seed setting was given
}

func (r *reader) str(name, def string) string {
	v, ok := r.look(name)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return def
	}
	r.seen = true
	return v
}

// secret reads NAME or the file named by NAME_FILE.
func (r *reader) secret(name string) []byte {
	if v := r.str(name, ""); v != "" {
		return []byte(v)
	}
	path := r.str(name+"_FILE", "")
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		r.fail(settingErr(name+"_FILE", "cannot read the file: %v", err))
		return nil
	}
	return []byte(strings.TrimSpace(string(b)))
}

func (r *reader) boolean(name string, def bool) bool {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(settingErr(name, "want true or false, got %q", v))
	}
	return b
}

func (r *reader) integer(name string, def int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		r.fail(settingErr(name, "want a whole number ≥ 0, got %q", v))
	}
	return n
}

// byteSize reads a size in bytes, with an optional KiB, MiB or GiB suffix (GOMEMLIMIT's
// syntax); "off" is -1 and unset is 0.
func (r *reader) byteSize(name string) int64 {
	v := r.str(name, "")
	switch v {
	case "":
		return 0
	case "off":
		return -1
	}
	num, unit := v, int64(1)
	for suffix, u := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if n, ok := strings.CutSuffix(v, suffix); ok {
			num, unit = n, u
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/unit {
		r.fail(settingErr(name, "want a size such as 900MiB, 2GiB or 1073741824, or off; got %q", v))
		return 0
	}
	return n * unit
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(settingErr(name, "want a positive duration like 30s or 5m, got %q", v))
	}
	return d
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Load builds the configuration from look. Any invalid setting stops with an *Error naming it.
func Load(look Lookup) (Config, error) {
	c := Default()
	r := &reader{look: look}
	c.Addr = r.str("CHATPROXY_ADDR", c.Addr)
	c.MetricsAddr = r.str("CHATPROXY_METRICS_ADDR", c.MetricsAddr)
	c.AdminAddr = r.str("CHATPROXY_ADMIN_ADDR", c.AdminAddr)
	c.AdminURL = strings.TrimRight(r.str("CHATPROXY_ADMIN_URL", ""), "/")
	c.DataDir = r.str("CHATPROXY_DATA_DIR", c.DataDir)
	c.PublicURL = strings.TrimRight(r.str("CHATPROXY_PUBLIC_URL", ""), "/")
	c.DatabaseURL = r.str("DATABASE_URL", "")
	c.RedisURL = r.str("REDIS_URL", "")
	c.RedisPrefix = r.str("CHATPROXY_REDIS_PREFIX", c.RedisPrefix)
	c.LogLevel = strings.ToLower(r.str("LOG_LEVEL", c.LogLevel))
	c.Debug = r.boolean("DEBUG", false)
	c.JWTSecret = r.secret("JWT_SECRET_KEY")
	c.SessionSecret = r.secret("SESSION_SECRET_KEY")
	c.EncryptionKeys = string(r.secret("CHATPROXY_ENCRYPTION_KEYS"))
	c.GeoIPDB = r.str("GEOIP_DB", "")
	c.AllowPrivateUpstream = r.boolean("CHATPROXY_ALLOW_PRIVATE_UPSTREAM", false)
	c.SessionIdle = r.duration("CHATPROXY_SESSION_IDLE", c.SessionIdle)
	c.SessionMaxAge = r.duration("CHATPROXY_SESSION_MAX_AGE", c.SessionMaxAge)
	if v := r.str("CHATPROXY_SESSION_KEY_ROTATION", ""); v == "0" || v == "off" {
		c.SessionKeyRotation = 0
	} else {
		c.SessionKeyRotation = r.duration("CHATPROXY_SESSION_KEY_ROTATION", c.SessionKeyRotation)
	}
	if v := r.str("CHATPROXY_RETENTION_INTERVAL", ""); v == "0" || v == "off" {
		c.RetentionInterval = 0
	} else {
		c.RetentionInterval = r.duration("CHATPROXY_RETENTION_INTERVAL", c.RetentionInterval)
	}
	if c.RetentionBatch = r.integer("CHATPROXY_RETENTION_BATCH", c.RetentionBatch); c.RetentionBatch < 1 || c.RetentionBatch > 10000 {
		r.fail(settingErr("CHATPROXY_RETENTION_BATCH", "must be between 1 and 10000"))
	}
	c.ShutdownTimeout = r.duration("CHATPROXY_SHUTDOWN_TIMEOUT", c.ShutdownTimeout)
	c.Heartbeat = r.duration("CHATPROXY_HEARTBEAT", c.Heartbeat)
	c.StreamWriteTimeout = r.duration("CHATPROXY_STREAM_WRITE_TIMEOUT", c.StreamWriteTimeout)
	if v := r.str("CHATPROXY_STREAM_WRITE_DELAY", ""); v == "0" || v == "off" {
		c.StreamWriteDelay = 0
	} else if c.StreamWriteDelay = r.duration("CHATPROXY_STREAM_WRITE_DELAY", c.StreamWriteDelay); c.StreamWriteDelay > 100*time.Millisecond {
		r.fail(settingErr("CHATPROXY_STREAM_WRITE_DELAY", "at most 100ms (tokens would arrive in visible jerks), got %s", c.StreamWriteDelay))
	}
	c.Upstream.Dial = r.duration("CHATPROXY_UPSTREAM_DIAL_TIMEOUT", c.Upstream.Dial)
	c.Upstream.FirstByte = r.duration("CHATPROXY_UPSTREAM_FIRST_BYTE_TIMEOUT", c.Upstream.FirstByte)
	c.Upstream.Idle = r.duration("CHATPROXY_UPSTREAM_IDLE_TIMEOUT", c.Upstream.Idle)
	c.Upstream.Total = r.duration("CHATPROXY_UPSTREAM_TOTAL_TIMEOUT", c.Upstream.Total)
	c.Upstream.MaxBytes = int64(r.integer("CHATPROXY_UPSTREAM_MAX_BYTES", int(c.Upstream.MaxBytes)))
	c.Upstream.MaxConcurrent = r.integer("CHATPROXY_UPSTREAM_MAX_CONCURRENT", c.Upstream.MaxConcurrent)
	c.Upstream.BreakerFailures = r.integer("CHATPROXY_UPSTREAM_BREAKER_FAILURES", c.Upstream.BreakerFailures)
	c.Upstream.BreakerOpenFor = r.duration("CHATPROXY_UPSTREAM_BREAKER_OPEN_FOR", c.Upstream.BreakerOpenFor)
	c.Upstream.H2C = r.boolean("CHATPROXY_UPSTREAM_H2C", false)
	c.TrustedProxies = r.prefixes("TRUSTED_PROXIES")
	c.MemoryLimit = r.byteSize("CHATPROXY_MEMORY_LIMIT")
	c.Tracing = r.tracing(c.Tracing)
	c.S3 = r.s3()
	if c.AnalyticsQueue = r.integer("CHATPROXY_ANALYTICS_QUEUE", c.AnalyticsQueue); c.AnalyticsQueue < 1 || c.AnalyticsQueue > 1_000_000 {
		r.fail(settingErr("CHATPROXY_ANALYTICS_QUEUE", "must be between 1 and 1000000, got %d", c.AnalyticsQueue))
	}

	sites, err := r.sites()
	if err != nil {
		return Config{}, err
	}
	if r.err != nil {
		return Config{}, r.err
	}
	c.Sites = sites
	c.Demo = len(sites) == 0
	if c.Demo {
		c.Sites = []Site{demoSite(c)}
	}
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (r *reader) prefixes(name string) []netip.Prefix {
	v := r.str(name, "")
	if v == "" {
		return nil
	}
	var out []netip.Prefix
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				r.fail(settingErr(name, "%q is not an IP address or CIDR", part))
				return nil
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}

// sites reads CHATPROXY_SITES_FILE and/or the seed's single-site variables (site "default").
func (r *reader) sites() ([]Site, error) {
	var sites []Site
	if path := r.str("CHATPROXY_SITES_FILE", ""); path != "" {
		fromFile, err := LoadSitesFile(path)
		if err != nil {
			return nil, err
		}
		sites = append(sites, fromFile...)
	}
	if url := r.str("N8N_WEBHOOK_URL", ""); url != "" {
		s := Site{
			ID:             DefaultSiteID,
			Name:           "Default site",
			WebhookURL:     url,
			AllowedOrigins: splitList(r.str("ALLOWED_ORIGINS", "")),
			Trusted:        true,
		}
		if n := r.integer("RATE_LIMIT_PER_MINUTE", 0); n > 0 {
			s.Limits.IPPerMinute = n
		}
		ApplySiteDefaults(&s)
		sites = append(sites, s)
	} else if r.str("ALLOWED_ORIGINS", "") != "" {
		return nil, settingErr("ALLOWED_ORIGINS", "is set but N8N_WEBHOOK_URL is not; both describe the single site %q", DefaultSiteID)
	}
	return sites, nil
}

// splitList splits a comma list and trims each entry (n8n's own CORS list famously does not).
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// SQLitePath is where the embedded database lives.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "chatproxy.db") }
