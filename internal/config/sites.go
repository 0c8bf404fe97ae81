package config

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/chatproxy/chatproxy/internal/origin"
	"github.com/chatproxy/chatproxy/internal/textnorm"
)

// Dur is a time.Duration read from YAML as "30s" or a number of seconds.
type Dur time.Duration

// UnmarshalYAML accepts "30s" or 30.
func (d *Dur) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	if v, err := time.ParseDuration(s); err == nil {
		*d = Dur(v)
		return nil
	}
	var secs float64
	if err := n.Decode(&secs); err != nil {
		return fmt.Errorf("want a duration like 30s, got %q", s)
	}
	*d = Dur(time.Duration(secs * float64(time.Second)))
	return nil
}

// D returns the value as a time.Duration.
func (d Dur) D() time.Duration { return time.Duration(d) }

type sitesFile struct {
	Sites []Site `yaml:"sites"`
}

// LoadSitesFile reads the sites YAML. Unknown keys are errors, so typos do not pass silently.
func LoadSitesFile(path string) ([]Site, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, settingErr("CHATPROXY_SITES_FILE", "cannot read %s: %v", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f sitesFile
	if err := dec.Decode(&f); err != nil {
		return nil, settingErr("CHATPROXY_SITES_FILE", "%s: %v", path, err)
	}
	if len(f.Sites) == 0 {
		return nil, settingErr("CHATPROXY_SITES_FILE", "%s lists no sites", path)
	}
	for i := range f.Sites {
		f.Sites[i].Trusted = true
		applySiteDefaults(&f.Sites[i])
	}
	return f.Sites, nil
}

var siteIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func (c Config) validate() error {
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return settingErr("DATABASE_URL", "must be a postgres:// URL")
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		return settingErr("REDIS_URL", "must be a redis:// or rediss:// URL")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "warning", "error":
	default:
		return settingErr("LOG_LEVEL", "want debug, info, warn or error, got %q", c.LogLevel)
	}
	if len(c.JWTSecret) > 0 && len(c.JWTSecret) < 32 {
		return settingErr("JWT_SECRET_KEY", "must be at least 32 characters")
	}
	if len(c.SessionSecret) > 0 && len(c.SessionSecret) < 32 {
		return settingErr("SESSION_SECRET_KEY", "must be at least 32 characters")
	}
	for _, n := range []struct {
		setting string
		value   int64
	}{
		{"CHATPROXY_UPSTREAM_MAX_BYTES", c.Upstream.MaxBytes},
		{"CHATPROXY_UPSTREAM_MAX_CONCURRENT", int64(c.Upstream.MaxConcurrent)},
		{"CHATPROXY_UPSTREAM_BREAKER_FAILURES", int64(c.Upstream.BreakerFailures)},
	} {
		if n.value < 1 {
			return settingErr(n.setting, "must be at least 1")
		}
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return settingErr("CHATPROXY_PUBLIC_URL", "must be an http(s) URL like https://chat.example.com")
		}
	}
	if err := c.validateAdmin(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, s := range c.Sites {
		if err := s.validate(c); err != nil {
			return settingErr(fmt.Sprintf("sites[%d] (%s)", i, s.ID), "%s", err.Error())
		}
		if seen[s.ID] {
			return settingErr(fmt.Sprintf("sites[%d]", i), "duplicate site id %q", s.ID)
		}
		seen[s.ID] = true
	}
	return nil
}

func (s Site) validate(c Config) error {
	if !siteIDPattern.MatchString(s.ID) {
		return fmt.Errorf("id must be 1-64 of a-z, 0-9, '-' or '_'")
	}
	if s.WebhookURL != DemoWebhookURL {
		u, err := url.Parse(s.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("n8n_webhook_url must be an http(s) URL")
		}
	}
	if len(s.AllowedOrigins) == 0 && !c.Demo {
		return fmt.Errorf("allowed_origins (ALLOWED_ORIGINS for the default site) must list at least one origin")
	}
	for _, o := range s.AllowedOrigins {
		if _, err := origin.ParsePattern(o); err != nil {
			return fmt.Errorf("allowed_origins: %v", err)
		}
	}
	switch s.PayloadFormat {
	case "chat-trigger", "webhook":
	default:
		return fmt.Errorf("payload_format must be chat-trigger or webhook")
	}
	switch s.ClientIP {
	case "raw", "hashed", "omit":
	default:
		return fmt.Errorf("client_ip must be raw, hashed or omit")
	}
	if s.HistoryDepth < 0 || s.HistoryDepth > 100 {
		return fmt.Errorf("history_depth must be between 0 and 100")
	}
	if s.Limits.MaxMessageLength < 1 || s.Limits.MaxMessageLength > 16000 {
		return fmt.Errorf("limits.max_message_length must be between 1 and 16000")
	}
	if err := s.Signing.validate(c); err != nil {
		return err
	}
	if _, err := textnorm.CompileBlocklist(s.Abuse.Blocklist); err != nil {
		return fmt.Errorf("abuse.blocklist: %v", err)
	}
	return nil
}

func (g Signing) validate(c Config) error {
	if g.TTL.D() <= 0 || g.TTL.D() > 60*time.Second {
		return fmt.Errorf("signing.ttl must be between 1s and 60s")
	}
	switch g.Algorithm {
	case "HS256":
		if g.Secret != "" && len(g.Secret) < 32 {
			return fmt.Errorf("signing.secret must be at least 32 characters")
		}
		if g.Secret == "" && g.SecretFile == "" && len(c.SessionSecret) == 0 && !c.Demo {
			return fmt.Errorf("signing: no HS256 secret; set SESSION_SECRET_KEY or signing.secret")
		}
	case "ES256":
		if g.PrivateKeyFile == "" {
			return fmt.Errorf("signing.private_key_file is required for ES256")
		}
	default:
		return fmt.Errorf("signing.algorithm must be HS256 or ES256")
	}
	return nil
}
