package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const secret32 = "0123456789abcdef0123456789abcdef"

func TestDemoModeWithNoConfiguration(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Demo || len(c.Sites) != 1 || c.Sites[0].ID != DemoSiteID || c.Sites[0].WebhookURL != DemoWebhookURL {
		t.Fatalf("demo config = %+v", c)
	}
	if got := strings.Join(c.Sites[0].AllowedOrigins, " "); !strings.Contains(got, "http://localhost:8080") {
		t.Fatalf("demo origins = %s", got)
	}
	if c.Addr != ":8080" || c.MetricsAddr != "127.0.0.1:9091" || c.DataDir != "./data" || c.AdminAddr != "127.0.0.1:8081" || !c.AdminEnabled() || c.AdminOnPublicListener() {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestSeedEnvNamesMakeDefaultSite(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "jwt")
	if err := os.WriteFile(secretFile, []byte(secret32+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{
		"N8N_WEBHOOK_URL":       "http://n8n:5678/webhook/abc/chat",
		"ALLOWED_ORIGINS":       " https://shop.com , https://www.shop.com ,",
		"SESSION_SECRET_KEY":    secret32,
		"JWT_SECRET_KEY_FILE":   secretFile,
		"RATE_LIMIT_PER_MINUTE": "42",
		"LOG_LEVEL":             "DEBUG",
		"DEBUG":                 "true",
		"TRUSTED_PROXIES":       "10.0.0.0/8, 192.168.1.1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Sites[0]
	if c.Demo || s.ID != DefaultSiteID || len(s.AllowedOrigins) != 2 || s.AllowedOrigins[1] != "https://www.shop.com" {
		t.Fatalf("site = %+v", s)
	}
	if s.Limits.IPPerMinute != 42 || string(c.JWTSecret) != secret32 || c.LogLevel != "debug" || !c.Debug || len(c.TrustedProxies) != 2 {
		t.Fatalf("config = %+v", c)
	}
	if !s.Trusted || s.PayloadFormat != "chat-trigger" || s.HistoryDepth != 10 || s.Limits.MaxMessageLength != 4000 {
		t.Fatalf("site defaults = %+v", s)
	}
}

func TestInvalidSettingsNameTheSetting(t *testing.T) {
	base := map[string]string{"N8N_WEBHOOK_URL": "https://n8n.example.com/webhook/x", "ALLOWED_ORIGINS": "https://shop.com", "SESSION_SECRET_KEY": secret32}
	cases := map[string]map[string]string{
		"DATABASE_URL":                     {"DATABASE_URL": "mysql://x"},
		"REDIS_URL":                        {"REDIS_URL": "http://x"},
		"LOG_LEVEL":                        {"LOG_LEVEL": "loud"},
		"DEBUG":                            {"DEBUG": "maybe"},
		"JWT_SECRET_KEY":                   {"JWT_SECRET_KEY": "short"},
		"TRUSTED_PROXIES":                  {"TRUSTED_PROXIES": "10.0.0.0/8,not-an-ip"},
		"CHATPROXY_SESSION_IDLE":           {"CHATPROXY_SESSION_IDLE": "soon"},
		"allowed_origins":                  {"ALLOWED_ORIGINS": "shop.com"},
		"n8n_webhook_url":                  {"N8N_WEBHOOK_URL": "ftp://n8n"},
		"CHATPROXY_SITES_FILE":             {"CHATPROXY_SITES_FILE": "/nonexistent/sites.yaml"},
		"JWT_SECRET_KEY_FILE":              {"JWT_SECRET_KEY_FILE": "/nonexistent/secret"},
		"CHATPROXY_ALLOW_PRIVATE_UPSTREAM": {"CHATPROXY_ALLOW_PRIVATE_UPSTREAM": "sure"},
		"CHATPROXY_STREAM_WRITE_DELAY":     {"CHATPROXY_STREAM_WRITE_DELAY": "1s"},
	}
	for setting, override := range cases {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range override {
			m[k] = v
		}
		_, err := Load(env(m))
		var ce *Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), setting) {
			t.Errorf("%s: got %v", setting, err)
		}
	}
	if _, err := Load(env(map[string]string{"ALLOWED_ORIGINS": "https://shop.com"})); err == nil {
		t.Error("ALLOWED_ORIGINS without N8N_WEBHOOK_URL accepted")
	}
}

func TestStreamWriteDelay(t *testing.T) {
	base := map[string]string{"N8N_WEBHOOK_URL": "https://n8n.example.com/webhook/x", "ALLOWED_ORIGINS": "https://shop.com", "SESSION_SECRET_KEY": secret32}
	for value, want := range map[string]time.Duration{"": 5 * time.Millisecond, "0": 0, "off": 0, "20ms": 20 * time.Millisecond} {
		m := map[string]string{"CHATPROXY_STREAM_WRITE_DELAY": value}
		for k, v := range base {
			m[k] = v
		}
		c, err := Load(env(m))
		if err != nil || c.StreamWriteDelay != want {
			t.Errorf("CHATPROXY_STREAM_WRITE_DELAY=%q: %v, %v; want %v", value, c.StreamWriteDelay, err, want)
		}
	}
}

func TestUpstreamH2C(t *testing.T) {
	for value, want := range map[string]bool{"": false, "true": true, "false": false} {
		m := map[string]string{"N8N_WEBHOOK_URL": "http://n8n:5678/webhook/x", "ALLOWED_ORIGINS": "https://shop.com",
			"SESSION_SECRET_KEY": secret32, "CHATPROXY_UPSTREAM_H2C": value}
		c, err := Load(env(m))
		if err != nil || c.Upstream.H2C != want {
			t.Errorf("CHATPROXY_UPSTREAM_H2C=%q: %v, %v; want %v", value, c.Upstream.H2C, err, want)
		}
	}
	bad := map[string]string{"N8N_WEBHOOK_URL": "http://n8n:5678/webhook/x", "ALLOWED_ORIGINS": "https://shop.com",
		"SESSION_SECRET_KEY": secret32, "CHATPROXY_UPSTREAM_H2C": "sometimes"}
	if _, err := Load(env(bad)); err == nil || !strings.Contains(err.Error(), "CHATPROXY_UPSTREAM_H2C") {
		t.Errorf("CHATPROXY_UPSTREAM_H2C=sometimes: err = %v, want one naming the setting", err)
	}
}

func TestMemoryLimitSetting(t *testing.T) {
	base := map[string]string{"N8N_WEBHOOK_URL": "http://n8n:5678/webhook/x", "ALLOWED_ORIGINS": "https://shop.com", "SESSION_SECRET_KEY": secret32}
	for value, want := range map[string]int64{"": 0, "off": -1, "900MiB": 900 << 20, "2GiB": 2 << 30, "512KiB": 512 << 10, "1073741824": 1 << 30} {
		base["CHATPROXY_MEMORY_LIMIT"] = value
		c, err := Load(env(base))
		if err != nil || c.MemoryLimit != want {
			t.Errorf("CHATPROXY_MEMORY_LIMIT=%q: %d, %v; want %d", value, c.MemoryLimit, err, want)
		}
	}
	for _, bad := range []string{"900MB", "-1", "0", "lots", "GiB", "99999999999GiB"} {
		base["CHATPROXY_MEMORY_LIMIT"] = bad
		if _, err := Load(env(base)); err == nil || !strings.Contains(err.Error(), "CHATPROXY_MEMORY_LIMIT") {
			t.Errorf("CHATPROXY_MEMORY_LIMIT=%q: err = %v, want one naming the setting", bad, err)
		}
	}
}

func TestSitesFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sites.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`sites:
  - id: shop-a
    name: Shop A
    allowed_origins: ["https://a.com", "https://*.a.com"]
    n8n_webhook_url: http://n8n:5678/webhook/a/chat
    payload_format: webhook
    signing: {algorithm: HS256, secret: "` + secret32 + `", ttl: 20s}
    history_depth: 5
    client_ip: omit
    limits: {max_message_length: 500, daily_messages: 1000}
    abuse: {blocklist: ["casino", "/free\\s+money/"], repeat_window: 60}
    widget: {title: A, suggestions: [Hi]}
`)
	c, err := Load(env(map[string]string{"CHATPROXY_SITES_FILE": path}))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Sites[0]
	if s.PayloadFormat != "webhook" || s.Signing.TTL.D() != 20*time.Second || s.Abuse.RepeatWindow.D() != time.Minute || s.Limits.DailyMessages != 1000 {
		t.Fatalf("site = %+v", s)
	}
	if len(s.Abuse.Blocklist) != 2 || s.Abuse.Blocklist[1] != `/free\s+money/` {
		t.Fatalf("blocklist = %q", s.Abuse.Blocklist)
	}
	for name, body := range map[string]string{
		"unknown key":   "sites:\n  - id: x\n    colour: red\n",
		"bad id":        "sites:\n  - id: Bad Id\n    allowed_origins: [https://a.com]\n    n8n_webhook_url: https://n8n/x\n    signing: {secret: \"" + secret32 + "\"}\n",
		"ttl too long":  "sites:\n  - id: x\n    allowed_origins: [https://a.com]\n    n8n_webhook_url: https://n8n/x\n    signing: {secret: \"" + secret32 + "\", ttl: 2m}\n",
		"no secret":     "sites:\n  - id: x\n    allowed_origins: [https://a.com]\n    n8n_webhook_url: https://n8n/x\n",
		"bad regexp":    "sites:\n  - id: x\n    allowed_origins: [https://a.com]\n    n8n_webhook_url: https://n8n/x\n    signing: {secret: \"" + secret32 + "\"}\n    abuse: {blocklist: [\"/(/\"]}\n",
		"es256 no key":  "sites:\n  - id: x\n    allowed_origins: [https://a.com]\n    n8n_webhook_url: https://n8n/x\n    signing: {algorithm: ES256}\n",
		"duplicate ids": "sites:\n  - {id: x, allowed_origins: [https://a.com], n8n_webhook_url: https://n8n/x, signing: {secret: \"" + secret32 + "\"}}\n  - {id: x, allowed_origins: [https://a.com], n8n_webhook_url: https://n8n/x, signing: {secret: \"" + secret32 + "\"}}\n",
	} {
		write(body)
		if _, err := Load(env(map[string]string{"CHATPROXY_SITES_FILE": path})); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestEnsureSecretsPersistsOnce(t *testing.T) {
	dir := t.TempDir()
	c, _ := Load(env(map[string]string{"CHATPROXY_DATA_DIR": dir}))
	if err := EnsureSecrets(&c); err != nil {
		t.Fatal(err)
	}
	c2, _ := Load(env(map[string]string{"CHATPROXY_DATA_DIR": dir}))
	if err := EnsureSecrets(&c2); err != nil {
		t.Fatal(err)
	}
	if len(c.JWTSecret) < 32 || string(c.JWTSecret) != string(c2.JWTSecret) || c.EncryptionKeys != c2.EncryptionKeys || string(c.SessionSecret) != string(c2.SessionSecret) {
		t.Fatal("secrets not generated once and reused")
	}
	st, err := os.Stat(filepath.Join(dir, "secrets.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file: %v %v", st, err)
	}
	pg := Config{DatabaseURL: "postgres://x", Demo: false}
	if err := EnsureSecrets(&pg); err == nil || !strings.Contains(err.Error(), "JWT_SECRET_KEY") {
		t.Fatalf("postgres without secrets: %v", err)
	}
}

// Session-token keys rotate every 30 days unless CHATPROXY_SESSION_KEY_ROTATION says otherwise
// (docs/security-keys.md); 0 or off turns rotation off.
func TestSessionKeyRotationDefault(t *testing.T) {
	if got := Default().SessionKeyRotation; got != 30*24*time.Hour {
		t.Fatalf("Default().SessionKeyRotation = %s, want 720h", got)
	}
	base := map[string]string{"N8N_WEBHOOK_URL": "https://n8n.example.com/webhook/x", "ALLOWED_ORIGINS": "https://shop.com", "SESSION_SECRET_KEY": secret32}
	for value, want := range map[string]time.Duration{"": 30 * 24 * time.Hour, "0": 0, "off": 0, "168h": 7 * 24 * time.Hour} {
		vars := map[string]string{"CHATPROXY_SESSION_KEY_ROTATION": value}
		for k, v := range base {
			vars[k] = v
		}
		c, err := Load(env(vars))
		if err != nil {
			t.Fatalf("%q: %v", value, err)
		}
		if c.SessionKeyRotation != want {
			t.Errorf("CHATPROXY_SESSION_KEY_ROTATION=%q: rotation every %s, want %s", value, c.SessionKeyRotation, want)
		}
	}
}
