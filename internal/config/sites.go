package config

import (
	"bytes"
	"encoding/json"
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

// MarshalJSON writes the duration as Go writes it, e.g. "30s" or "10m0s".
func (d Dur) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON accepts "30s" or a number of seconds, like the sites file.
func (d *Dur) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("want a duration like 30s, got %q", s)
		}
		*d = Dur(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("want a duration like 30s or a number of seconds")
	}
	*d = Dur(time.Duration(secs * float64(time.Second)))
	return nil
}

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
		ApplySiteDefaults(&f.Sites[i])
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
	if len(s.AllowedOrigins) == 0 && !c.Demo {
		return fmt.Errorf("allowed_origins (ALLOWED_ORIGINS for the default site) must list at least one origin")
	}
	if err := ValidateSite(s); err != nil {
		return err
	}
	return s.Signing.validateKeySource(c)
}

// ValidateSite checks a site's settings with defaults applied (ApplySiteDefaults): the rules
// shared by the sites file and the console. Where the signing key comes from is checked
// separately, since the console generates its sites' keys.
func ValidateSite(s Site) error {
	if !siteIDPattern.MatchString(s.ID) {
		return fmt.Errorf("id must be 1-64 of a-z, 0-9, '-' or '_', starting with a letter or digit")
	}
	if len(s.Name) > maxNameLength {
		return fmt.Errorf("name must be at most %d characters", maxNameLength)
	}
	if s.WebhookURL != DemoWebhookURL {
		u, err := url.Parse(s.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("n8n_webhook_url must be an http(s) URL")
		}
	}
	if len(s.AllowedOrigins) > maxListLength {
		return fmt.Errorf("allowed_origins must list at most %d origins", maxListLength)
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
	if err := s.Limits.validate(); err != nil {
		return err
	}
	if err := s.Signing.validate(); err != nil {
		return err
	}
	if err := s.Abuse.validate(); err != nil {
		return err
	}
	if err := s.validatePrivacy(); err != nil {
		return err
	}
	if err := s.Analytics.validate(); err != nil {
		return err
	}
	if err := s.Uploads.validate(); err != nil {
		return err
	}
	return s.Widget.validate()
}

// Bounds of free-form settings.
const (
	maxNameLength = 200
	maxListLength = 100 // origins, suggestions, image hosts
	maxTextLength = 2000
	maxBlocklist  = 1000
)

func (l Limits) validate() error {
	if l.MaxMessageLength < 1 || l.MaxMessageLength > 16000 {
		return fmt.Errorf("limits.max_message_length must be between 1 and 16000")
	}
	for _, n := range []struct {
		name  string
		value int
	}{
		{"session_per_minute", l.SessionPerMinute}, {"ip_per_minute", l.IPPerMinute},
		{"site_per_minute", l.SitePerMinute}, {"concurrent_streams_per_session", l.ConcurrentStreamsPerSession},
		{"concurrent_streams_per_ip", l.ConcurrentStreamsPerIP}, {"sessions_per_ip_per_hour", l.SessionsPerIPPerHour},
		{"daily_messages", l.DailyMessages},
	} {
		if n.value < -1 || n.value > 100_000_000 {
			return fmt.Errorf("limits.%s must be -1 (no limit) or between 1 and 100000000", n.name)
		}
	}
	return nil
}

func (a Abuse) validate() error {
	if a.MinFirstMessageDelayMS < -1 || a.MinFirstMessageDelayMS > 60_000 {
		return fmt.Errorf("abuse.min_first_message_delay_ms must be -1 (off) or between 1 and 60000")
	}
	if a.RepeatThreshold < -1 {
		return fmt.Errorf("abuse.repeat_threshold must be -1 (off) or at least 1")
	}
	if a.RepeatWindow.D() < 0 || a.RepeatWindow.D() > 24*time.Hour {
		return fmt.Errorf("abuse.repeat_window must be between 0s and 24h")
	}
	if len(a.Blocklist) > maxBlocklist {
		return fmt.Errorf("abuse.blocklist must have at most %d entries", maxBlocklist)
	}
	if _, err := textnorm.CompileBlocklist(a.Blocklist); err != nil {
		return fmt.Errorf("abuse.blocklist: %v", err)
	}
	return nil
}

// safeColor is the colour syntax the widget accepts (web/widget safeColor); anything else
// would be dropped there, so it is refused here where the operator sees why.
var safeColor = regexp.MustCompile(`^(#[0-9a-fA-F]{3,8}|(rgb|rgba|hsl|hsla)\([\d\s.,%/deg]+\))$`)

func (w Widget) validate() error {
	for _, c := range []struct{ name, value string }{{"primary_color", w.PrimaryColor}, {"text_color", w.TextColor}} {
		if c.value != "" && !safeColor.MatchString(c.value) {
			return fmt.Errorf("widget.%s must be a colour like #4f46e5 or rgb(79, 70, 229)", c.name)
		}
	}
	if w.Position != "left" && w.Position != "right" {
		return fmt.Errorf("widget.position must be left or right")
	}
	if w.AvatarURL != "" && !strings.HasPrefix(w.AvatarURL, "https://") &&
		!(strings.HasPrefix(w.AvatarURL, "/") && !strings.HasPrefix(w.AvatarURL, "//")) {
		return fmt.Errorf("widget.avatar_url must be an https:// URL or a path on this server")
	}
	for _, t := range []struct{ name, value string }{
		{"title", w.Title}, {"subtitle", w.Subtitle}, {"avatar_url", w.AvatarURL}, {"launcher_icon", w.LauncherIcon},
		{"welcome", w.Welcome}, {"placeholder", w.Placeholder}, {"language", w.Language},
	} {
		if len(t.value) > maxTextLength {
			return fmt.Errorf("widget.%s must be at most %d characters", t.name, maxTextLength)
		}
	}
	if len(w.Suggestions) > maxListLength || len(w.ImageHosts) > maxListLength || len(w.Texts) > maxListLength {
		return fmt.Errorf("widget.suggestions, widget.texts and widget.image_hosts hold at most %d entries each", maxListLength)
	}
	for k, v := range w.Texts {
		if len(k) > 100 || len(v) > maxTextLength {
			return fmt.Errorf("widget.texts: keys up to 100 and texts up to %d characters", maxTextLength)
		}
	}
	for _, s := range w.Suggestions {
		if len(s) > maxTextLength {
			return fmt.Errorf("widget.suggestions: each at most %d characters", maxTextLength)
		}
	}
	return nil
}

// validate checks the signing rules every site shares: algorithm and token lifetime.
func (g Signing) validate() error {
	if g.TTL.D() <= 0 || g.TTL.D() > 60*time.Second {
		return fmt.Errorf("signing.ttl must be between 1s and 60s")
	}
	if g.Algorithm != "HS256" && g.Algorithm != "ES256" {
		return fmt.Errorf("signing.algorithm must be HS256 or ES256")
	}
	return nil
}

// validateKeySource checks where a file site's signing key comes from.
func (g Signing) validateKeySource(c Config) error {
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
	}
	return nil
}

func (a Analytics) validate() error {
	switch w := time.Duration(a.AttributionWindow); {
	case w < time.Hour || w > 90*24*time.Hour:
		return fmt.Errorf("analytics.attribution_window must be between 1h and 2160h (90 days)")
	case a.EventsPerMinute < -1 || a.EventsPerMinute > 100_000_000:
		return fmt.Errorf("analytics.events_per_minute must be -1 (no limit) or between 1 and 100000000")
	}
	return nil
}
